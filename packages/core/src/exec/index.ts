export * from './format-command.ts';
export * from './process-runner.ts';
export * from './redactor.ts';

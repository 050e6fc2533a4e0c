export * from './child-environment.ts';
export * from './format-command.ts';
export * from './process-runner.ts';
export * from './redactor.ts';

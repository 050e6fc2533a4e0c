export * from './input-problems.ts';
export * from './input-spec.ts';
export * from './parse-inputs.ts';
export * from './path-policy.ts';
export * from './validate-step-inputs.ts';
export * from './yaml-document.ts';
export * from './nearest-word.ts';

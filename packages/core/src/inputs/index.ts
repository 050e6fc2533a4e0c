export * from './input-spec.ts';
export * from './parse-inputs.ts';

export * from './error-codes.ts';
export * from './exit-codes.ts';
export * from './slipway-error.ts';

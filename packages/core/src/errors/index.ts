export * from './exit-codes.ts';
export * from './slipway-error.ts';

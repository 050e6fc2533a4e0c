export * from './managed-prometheus-token.ts';
export * from './measure-metric.ts';
export * from './metric-assessment.ts';
export * from './metric-checks.ts';
export * from './metric-gate.ts';
export * from './prometheus-client.ts';
export * from './prometheus-response.ts';
export * from './threshold.ts';

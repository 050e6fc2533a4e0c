export * from './check-ids.ts';
export * from './misconfig-findings.ts';
export * from './policy-gate-reports.ts';
export * from './policy-gate-summary.ts';
export * from './policy-gate.ts';
export * from './slipway-checks.ts';
export * from './split-manifest.ts';

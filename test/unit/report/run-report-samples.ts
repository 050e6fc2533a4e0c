/**
 * Run reports as `slipway run` writes them, for the HTML renderer's tests: a canary that rolled back,
 * a direct deploy, a dry run and a failed build. Times are fixed so the rendered pages are stable.
 */
import type { CanaryRecord, MetricSeries, RunReport, ScanRecord, StageRecord } from '../../../packages/core/src/report/run-report.ts';

const base = Date.parse('2025-06-02T09:00:00Z');
/** The instant `seconds` after the run started. */
export const at = (seconds: number): string => new Date(base + seconds * 1000).toISOString();

function stage(id: string, status: StageRecord['status'], from: number, to: number, detail: string): StageRecord {
  const [kind, image] = id.split(':') as [StageRecord['stage'], string | undefined];
  return { id, stage: kind, image, status, startedAt: at(from), endedAt: at(to), durationMs: (to - from) * 1000, detail };
}

const canaryStart = 130;

/** Samples every 30 s of the canary, from `values` (undefined: `outcome` says why there is none). */
function samples(values: readonly (number | 'Error' | 'NoData')[], passes: (value: number) => boolean): MetricSeries['samples'][number][] {
  return values.map((value, index) => {
    const when = at(canaryStart + 30 * (index + 1));
    if (typeof value === 'string') return { at: when, outcome: value };
    return { at: when, value, outcome: passes(value) ? 'Pass' : 'Fail' };
  });
}

/** error-rate stays near 0.4% until the weight reaches 50%, then crosses 1% three times: rollback. */
export const errorRate: MetricSeries = {
  name: 'error-rate',
  threshold: '<= 1%',
  operator: '<=',
  limit: 0.01,
  unit: '%',
  samples: samples(
    [0.002, 'NoData', 0.004, 0.003, 0.005, 0.004, 0.003, 0.006, 0.004, 0.005, 0.004, 0.006, 0.007, 0.008, 0.013, 0.018, 0.024],
    (value) => value <= 0.01,
  ),
};

/** latency-p95 passes throughout, one scrape failed. */
export const latency: MetricSeries = {
  name: 'latency-p95',
  threshold: '< 300ms',
  operator: '<',
  limit: 0.3,
  unit: 'ms',
  samples: samples([0.18, 0.19, 0.2, 0.21, 0.19, 'Error', 0.22, 0.2, 0.21, 0.23, 0.22, 0.24, 0.23, 0.25, 0.24, 0.26, 0.25], (value) => value < 0.3),
};

const rollbackAt = canaryStart + 30 * 17 + 5;

export const canary: CanaryRecord = {
  startedAt: at(canaryStart),
  endedAt: at(rollbackAt + 20),
  weights: [
    { at: at(canaryStart), weight: 10 },
    { at: at(canaryStart + 180), weight: 25 },
    { at: at(canaryStart + 360), weight: 50 },
    { at: at(rollbackAt), weight: 0 },
  ],
  metrics: [errorRate, latency],
  decisions: [
    { at: at(canaryStart), label: 'weight 10%' },
    { at: at(canaryStart + 180), label: 'weight 10% -> 25% (checks 3/3 passed)' },
    { at: at(canaryStart + 360), label: 'weight 25% -> 50% (checks 3/3 passed)' },
    { at: at(rollbackAt), label: 'rollback: error-rate 2.4% is not <= 1% (3 failures)' },
  ],
  gates: [
    { at: at(canaryStart + 175), step: 1, weight: 10, gate: 'health', passed: true, detail: '2/2 pods ready' },
    { at: at(canaryStart + 175), step: 1, weight: 10, gate: 'error-rate', passed: true, detail: '0.4% <= 1%' },
    { at: at(canaryStart + 175), step: 1, weight: 10, gate: 'latency-p95', passed: true, detail: '210ms < 300ms' },
    { at: at(canaryStart + 355), step: 2, weight: 25, gate: 'health', passed: true, detail: '3/3 pods ready' },
    { at: at(canaryStart + 355), step: 2, weight: 25, gate: 'error-rate', passed: true, detail: '0.4% <= 1%' },
    { at: at(canaryStart + 355), step: 2, weight: 25, gate: 'latency-p95', passed: true, detail: '220ms < 300ms' },
    { at: at(rollbackAt), step: 3, weight: 50, gate: 'error-rate', passed: false, detail: '2.4% is not <= 1%' },
  ],
};

export const apiScan: ScanRecord = {
  image: 'api',
  artifact: 'oci-layout:/tmp/slipway/api@sha256:ab12cd34',
  passed: true,
  decision: 'passed: 0 critical, 2 high (HIGH: 2 <= 5)',
  counts: { CRITICAL: 0, HIGH: 2, MEDIUM: 5, LOW: 3, UNKNOWN: 0 },
  findings: [
    {
      id: 'CVE-2024-45337',
      severity: 'HIGH',
      package: 'golang.org/x/crypto',
      installed: 'v0.28.0',
      fixed: '0.31.0',
      title: 'golang.org/x/crypto/ssh: Misuse of ServerConfig.PublicKeyCallback',
    },
    {
      id: 'CVE-2024-6119',
      severity: 'HIGH',
      package: 'libssl3',
      installed: '3.0.14-1~deb12u1',
      fixed: '3.0.14-1~deb12u2',
      title: 'openssl: Possible denial of service in X.509 name checks',
    },
    {
      id: 'CVE-2023-45853',
      severity: 'MEDIUM',
      package: 'zlib1g',
      installed: '1:1.2.13.dfsg-1',
      fixed: '',
      title: 'zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6',
    },
    {
      id: 'CVE-2024-2511',
      severity: 'MEDIUM',
      package: 'libssl3',
      installed: '3.0.14-1~deb12u1',
      fixed: '',
      title: 'openssl: Unbounded memory growth with session handling in TLSv1.3',
    },
  ],
  totalFindings: 10,
};

export const workerScan: ScanRecord = {
  image: 'worker',
  artifact: 'oci-layout:/tmp/slipway/worker@sha256:ef56ab78',
  passed: true,
  decision: 'passed: 0 critical, 0 high',
  counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 1, UNKNOWN: 0 },
  findings: [
    {
      id: 'CVE-2023-50495',
      severity: 'MEDIUM',
      package: 'ncurses-base',
      installed: '6.4-4',
      fixed: '',
      title: 'ncurses: segmentation fault via _nc_wrap_entry()',
    },
    {
      id: 'CVE-2011-3374',
      severity: 'LOW',
      package: 'apt',
      installed: '2.6.1',
      fixed: '',
      title: 'It was found that apt-key in apt, all versions, do not correctly validate gpg keys',
    },
  ],
  totalFindings: 2,
};

/** build, scan, push for two images in parallel, then a canary that crossed its error-rate threshold and rolled back. */
export const rolledBackCanaryRun: RunReport = {
  schemaVersion: 1,
  slipway: '0.1.0',
  config: 'slipway.yaml',
  environment: 'staging',
  mode: 'run',
  startedAt: at(0),
  endedAt: at(rollbackAt + 25),
  result: 'gate-failed',
  reason: 'canary rolled back: error-rate 2.4% is not <= 1% at weight 50%',
  stages: [
    stage('build:api', 'succeeded', 1, 70, 'sha256:ab12cd34… 3 tags'),
    stage('build:worker', 'succeeded', 1, 50, 'sha256:ef56ab78… 3 tags'),
    stage('scan:worker', 'succeeded', 50, 75, 'passed: 0 critical, 0 high'),
    stage('scan:api', 'succeeded', 70, 100, 'passed: 0 critical, 2 high'),
    stage('push:worker', 'succeeded', 75, 85, 'pushed to slipway.azurecr.io/worker:1.4.2'),
    stage('push:api', 'succeeded', 100, 115, 'pushed to slipway.azurecr.io/api:1.4.2'),
    stage('aks-context', 'succeeded', 115, 120, 'aks-staging (rg-staging)'),
    stage('deploy', 'gate-failed', 120, rollbackAt + 24, 'rolled back: canary health'),
  ],
  scans: [apiScan, workerScan],
  deploy: {
    release: 'shop-api',
    namespace: 'shop',
    strategy: 'canary',
    result: 'rolled-back',
    revision: '14',
    reason: 'error-rate 2.4% is not <= 1% (3 failures in a row at weight 50%)',
    canary,
  },
};

/** One image, a direct deploy: no canary, so no chart. */
export const directDeployRun: RunReport = {
  ...rolledBackCanaryRun,
  result: 'succeeded',
  reason: undefined,
  endedAt: at(140),
  stages: [
    stage('build:api', 'succeeded', 1, 70, 'sha256:ab12cd34… 3 tags'),
    stage('scan:api', 'succeeded', 70, 100, 'passed: 0 critical, 2 high'),
    stage('push:api', 'succeeded', 100, 115, 'pushed to slipway.azurecr.io/api:1.4.2'),
    stage('aks-context', 'succeeded', 115, 120, 'aks-staging (rg-staging)'),
    stage('deploy', 'succeeded', 120, 138, 'deployed revision 15'),
  ],
  scans: [apiScan],
  deploy: { release: 'shop-api', namespace: 'shop', strategy: 'direct', result: 'deployed', revision: '15' },
};

/** `slipway run --dry-run`: every stage planned, nothing scanned or deployed. */
export const dryRun: RunReport = {
  schemaVersion: 1,
  slipway: '0.1.0',
  config: 'deploy/slipway.yaml',
  environment: undefined,
  mode: 'dry-run',
  startedAt: at(0),
  endedAt: at(0.4),
  result: 'succeeded',
  stages: [
    { id: 'build:api', stage: 'build', image: 'api', status: 'planned', detail: 'would build api from ./api (Dockerfile)' },
    { id: 'scan:api', stage: 'scan', image: 'api', status: 'planned', detail: 'would scan with the gate HIGH <= 5' },
    { id: 'push:api', stage: 'push', image: 'api', status: 'planned', detail: 'would push slipway.azurecr.io/api:1.4.2' },
    { id: 'deploy', stage: 'deploy', status: 'planned', detail: 'would deploy shop-api by canary 10,25,50' },
  ],
  scans: [],
};

/** The build failed: nothing after it ran. */
export const failedBuildRun: RunReport = {
  schemaVersion: 1,
  slipway: '0.1.0',
  config: 'slipway.yaml',
  environment: 'production',
  mode: 'run',
  startedAt: at(0),
  endedAt: at(42),
  result: 'failed',
  reason: 'build:api: buildah exited with code 125: Dockerfile:7: COPY failed',
  stages: [
    stage('build:api', 'failed', 1, 41, 'buildah exited with code 125'),
    { id: 'scan:api', stage: 'scan', image: 'api', status: 'skipped', detail: 'build failed' },
    { id: 'push:api', stage: 'push', image: 'api', status: 'skipped', detail: 'build failed' },
    { id: 'deploy', stage: 'deploy', status: 'skipped', detail: 'build failed' },
  ],
  scans: [],
};

/**
 * What one `slipway run` did, as data: written as `slipway-report.json` and rendered into the
 * self-contained `slipway-report.html`. Times are ISO 8601 strings so the JSON reads the same as the
 * object; every figure a chart shows is here, so the HTML adds nothing that the JSON lacks.
 */
export interface RunReport {
  readonly schemaVersion: 1;
  /** Slipway's version. */
  readonly slipway: string;
  /** The config file, as given (relative to the workspace when it is inside it). */
  readonly config: string;
  readonly environment?: string | undefined;
  /** `dry-run`: nothing was changed; stages say what would have run. */
  readonly mode: 'run' | 'dry-run';
  readonly startedAt: string;
  readonly endedAt: string;
  /** How the run ended: every stage succeeded, a gate said no (exit 1), a human is needed (exit 4), or a stage failed. */
  readonly result: RunResult;
  /** One line saying why, when the result is not `succeeded`. */
  readonly reason?: string | undefined;
  /** In the order they started; images' stages interleave when they run in parallel. */
  readonly stages: readonly StageRecord[];
  readonly scans: readonly ScanRecord[];
  readonly deploy?: DeployRecord | undefined;
}

export type RunResult = 'succeeded' | 'gate-failed' | 'needs-human' | 'failed' | 'cancelled';

export type StageKind = 'build' | 'scan' | 'push' | 'aks-context' | 'deploy';

export interface StageRecord {
  /** `build:api`, `scan:api`, `aks-context`, `deploy`. */
  readonly id: string;
  readonly stage: StageKind;
  /** The image (its key in slipway.yaml) for the per-image stages. */
  readonly image?: string | undefined;
  readonly status: 'succeeded' | 'gate-failed' | 'needs-human' | 'failed' | 'cancelled' | 'skipped' | 'planned';
  /** Absent for a skipped or planned stage. */
  readonly startedAt?: string | undefined;
  readonly endedAt?: string | undefined;
  readonly durationMs?: number | undefined;
  /** One line: `sha256:ab12… 3 tags`, `passed: 0 critical, 2 high`, `rolled back: canary health`. */
  readonly detail: string;
  /** The step's outputs (never a secret: they are the same outputs the action sets). */
  readonly outputs?: Readonly<Record<string, string>> | undefined;
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';

export interface ScanRecord {
  /** The image's key in slipway.yaml. */
  readonly image: string;
  /** What was scanned (the layout or image reference Trivy names). */
  readonly artifact: string;
  readonly passed: boolean;
  /** The gate's one-line verdict (`HIGH: 3 > 0`). */
  readonly decision: string;
  readonly counts: Readonly<Record<Severity, number>>;
  /** The worst findings, at most 10 (the scan step's `top-findings`), worst first. */
  readonly findings: readonly ScanFindingRecord[];
  /** How many findings there were in all (the table shows the worst 10). */
  readonly totalFindings: number;
}

export interface ScanFindingRecord {
  readonly id: string;
  readonly severity: Severity;
  readonly package: string;
  readonly installed: string;
  /** Empty when there is no fixed version. */
  readonly fixed: string;
  readonly title: string;
}

export interface DeployRecord {
  readonly release: string;
  readonly namespace: string;
  readonly strategy: 'direct' | 'canary';
  /** The deploy step's `result` output: deployed, promoted, rolled-back, paused, needs-human. */
  readonly result: string;
  readonly revision?: string | undefined;
  readonly reason?: string | undefined;
  readonly canary?: CanaryRecord | undefined;
}

export interface CanaryRecord {
  readonly startedAt: string;
  readonly endedAt: string;
  /** The weight of traffic on the canary over time (a step function: each entry holds until the next). */
  readonly weights: readonly { readonly at: string; readonly weight: number }[];
  /** Every metric gate with each measurement, for the chart of its value against its threshold. */
  readonly metrics: readonly MetricSeries[];
  /** Where the canary changed course: each weight step, the pause, promotion, the rollback decision. */
  readonly decisions: readonly { readonly at: string; readonly label: string }[];
  /** Each gate's verdict at each step (health, smoke, a metric), as the summary lists them. */
  readonly gates: readonly {
    readonly at: string;
    readonly step: number;
    readonly weight: number;
    readonly gate: string;
    readonly passed: boolean;
    readonly detail: string;
  }[];
}

export interface MetricSeries {
  readonly name: string;
  /** As written: `<= 1%`. */
  readonly threshold: string;
  /** The comparison a measured value must meet to Pass. */
  readonly operator: '<' | '<=' | '>' | '>=' | '==';
  /** The threshold's limit in the unit of `value` (1% is 0.01, 300ms is 0.3), for the chart's threshold line. */
  readonly limit: number;
  /** The unit the threshold was written in, which is how values are best shown (`%`: 0.004 as 0.4%). */
  readonly unit: '%' | 'ms' | 's' | 'm' | '';
  readonly samples: readonly {
    readonly at: string;
    /** Absent when the measurement had no value (Error, NoData). */
    readonly value?: number | undefined;
    readonly outcome: 'Pass' | 'Fail' | 'Error' | 'NoData';
  }[];
}

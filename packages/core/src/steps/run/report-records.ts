import type { MetricCheck } from '../../canary/analysis/metric-checks.ts';
import type { CanaryRecord, DeployRecord, MetricSeries, ScanRecord, Severity } from '../../report/run-report.ts';
import type { StepReport } from '../framework/step-definition.ts';

const severities: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

/** What the scan step's result holds (steps/scan/scan-step.ts), as far as the report reads it. */
interface ScanResultShape {
  passed: boolean;
  reason: string;
  counts: Record<Severity, number>;
  artifact: string;
  totalFindings: number;
  topFindings: { id: string; severity: Severity; package: string | null; installed: string | null; fixed: string | null; target: string; title: string }[];
}

/** The scan stage's result as the report shows it: counts, the verdict, the worst findings. */
export function scanRecordOf(image: string, report: StepReport): ScanRecord {
  const result = report.result as ScanResultShape;
  return {
    image,
    artifact: result.artifact,
    passed: result.passed,
    decision: result.reason,
    counts: Object.fromEntries(severities.map((severity) => [severity, result.counts[severity] ?? 0])) as Record<Severity, number>,
    totalFindings: result.totalFindings,
    findings: result.topFindings.map((finding) => ({
      id: finding.id,
      severity: finding.severity,
      package: finding.package ?? finding.target,
      installed: finding.installed ?? '',
      fixed: finding.fixed ?? '',
      title: finding.title,
    })),
  };
}

/** What the deploy step's result holds (steps/deploy/deploy-report.ts), as far as the report reads it. */
interface DeployResultShape {
  release: string;
  namespace: string;
  canary?: {
    weights: { at: string; weight: number }[];
    gates: {
      at: string;
      step: number;
      weight: number;
      gate: string;
      passed: boolean;
      detail: string;
      value?: number;
      outcome?: MetricSeries['samples'][number]['outcome'];
    }[];
    timeline: { at: string; message: string }[];
    rollbackDecidedAt?: string;
  };
}

/** The deploy stage as the report shows it; a canary's metric gates become series against their thresholds. */
export function deployRecordOf(
  report: StepReport,
  strategy: 'direct' | 'canary',
  metrics: readonly MetricCheck[],
  startedAt: Date,
  endedAt: Date,
): DeployRecord {
  const result = report.result as DeployResultShape;
  return {
    release: result.release,
    namespace: result.namespace,
    strategy,
    result: report.outputs.result ?? '',
    revision: report.outputs.revision || undefined,
    reason: report.outputs.reason || undefined,
    canary: result.canary ? canaryRecordOf(result.canary, metrics, startedAt, endedAt) : undefined,
  };
}

function canaryRecordOf(canary: NonNullable<DeployResultShape['canary']>, metrics: readonly MetricCheck[], startedAt: Date, endedAt: Date): CanaryRecord {
  const series: MetricSeries[] = metrics.map((check) => ({
    name: check.name,
    threshold: check.threshold.text,
    operator: check.threshold.operator,
    limit: check.threshold.limit,
    unit: check.threshold.unit,
    samples: canary.gates
      .filter((gate) => gate.gate === `analysis/${check.name}` && gate.outcome !== undefined)
      .map((gate) => ({ at: gate.at, value: Number.isFinite(gate.value) ? gate.value : undefined, outcome: gate.outcome ?? 'Error' })),
  }));
  const decisions = canary.weights.map((entry) => ({ at: entry.at, label: `${entry.weight}%` }));
  if (canary.rollbackDecidedAt) decisions.push({ at: canary.rollbackDecidedAt, label: 'rollback' });
  const promoted = canary.timeline.find((entry) => /promot/i.test(entry.message));
  if (promoted && !canary.rollbackDecidedAt) decisions.push({ at: promoted.at, label: 'promote' });
  return {
    startedAt: canary.timeline[0]?.at ?? startedAt.toISOString(),
    endedAt: canary.timeline.at(-1)?.at ?? endedAt.toISOString(),
    weights: canary.weights,
    metrics: series,
    decisions: decisions.sort((a, b) => a.at.localeCompare(b.at)),
    gates: canary.gates.map(({ at, step, weight, gate, passed, detail }) => ({ at, step, weight, gate, passed, detail })),
  };
}

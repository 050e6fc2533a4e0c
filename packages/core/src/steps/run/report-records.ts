import type { Threshold } from '../../canary/analysis/threshold.ts';
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
  strategy: 'direct' | 'canary';
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
    metrics: { name: string; threshold: Threshold }[];
    result: string;
    rollbackDecidedAt?: string;
  };
}

/** The deploy stage as the report shows it; a canary's metric gates become series against their thresholds. */
export function deployRecordOf(report: StepReport): DeployRecord {
  const result = report.result as DeployResultShape;
  return {
    release: result.release,
    namespace: result.namespace,
    strategy: result.strategy,
    result: report.outputs.result ?? '',
    revision: report.outputs.revision || undefined,
    reason: report.outputs.reason || undefined,
    canary: result.canary ? canaryRecordOf(result.canary) : undefined,
  };
}

function canaryRecordOf(canary: NonNullable<DeployResultShape['canary']>): CanaryRecord {
  const series: MetricSeries[] = canary.metrics.map(({ name, threshold }) => ({
    name,
    threshold: threshold.text,
    operator: threshold.operator,
    limit: threshold.limit,
    unit: threshold.unit,
    samples: canary.gates
      .filter((gate) => gate.gate === `analysis/${name}` && gate.outcome !== undefined)
      .map((gate) => ({ at: gate.at, value: Number.isFinite(gate.value) ? gate.value : undefined, outcome: gate.outcome ?? 'Error' })),
  }));
  const decisions = canary.weights.map((entry) => ({ at: entry.at, label: `${entry.weight}%` }));
  if (canary.rollbackDecidedAt) decisions.push({ at: canary.rollbackDecidedAt, label: 'rollback' });
  const last = canary.timeline.at(-1);
  if (canary.result === 'promoted' && last) decisions.push({ at: last.at, label: 'promoted' });
  const first = canary.timeline[0]?.at ?? canary.weights[0]?.at ?? '';
  return {
    startedAt: first,
    endedAt: last?.at ?? first,
    weights: canary.weights,
    metrics: series,
    decisions: decisions.sort((a, b) => a.at.localeCompare(b.at)),
    gates: canary.gates.map(({ at, step, weight, gate, passed, detail }) => ({ at, step, weight, gate, passed, detail })),
  };
}

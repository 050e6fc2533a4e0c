import type { CanaryOutcome } from '../../canary/run-canary.ts';
import { escapeCell } from '../scan/reports/markdown-report.ts';
import type { CanaryInputs } from './deploy-inputs.ts';

/**
 * The canary's part of the job summary: the weight timeline, every gate result with what it measured
 * against its threshold, the time to promote, and the worst case for noticing a failure and undoing it.
 */
export function renderCanarySummary(inputs: CanaryInputs, outcome: CanaryOutcome): string[] {
  const start = outcome.startedAt.getTime();
  const at = (date: Date) => `+${((date.getTime() - start) / 1000).toFixed(1)} s`;
  const lines: string[] = [];
  lines.push(
    `- traffic: ${inputs.traffic}${inputs.httpRoute ? ` (HTTPRoute ${inputs.httpRoute})` : inputs.ingress ? ` (Ingress ${inputs.ingress})` : ''}; steps ${inputs.steps.map((w) => `${w}%`).join(' → ')}; bake ${seconds(inputs.bakeMs)} each`,
  );
  if (outcome.result === 'promoted')
    lines.push(`- time to promote: ${seconds(outcome.endedAt.getTime() - start)} (bake time configured: ${seconds(inputs.bakeMs * inputs.steps.length)})`);
  if (outcome.rollbackDecidedAt) {
    const undone = outcome.rollbackDoneAt
      ? `, canary removed and traffic on stable ${seconds(outcome.rollbackDoneAt.getTime() - outcome.rollbackDecidedAt.getTime())} later`
      : '';
    lines.push(`- rollback decided at ${at(outcome.rollbackDecidedAt)}${undone}`);
  }
  lines.push(`- worst case to notice a failure and roll back: ${worstCaseRollback(inputs)}`, '');

  if (outcome.weights.length > 0) {
    lines.push('| t | canary weight |', '|---|---|');
    for (const entry of outcome.weights) lines.push(`| ${at(entry.at)} | ${entry.weight}% |`);
    lines.push('');
  }
  if (outcome.gates.length > 0) {
    lines.push('| t | step | weight | gate | result | measured |', '|---|---|---|---|---|---|');
    for (const gate of outcome.gates) {
      lines.push(
        `| ${at(gate.at)} | ${gate.step + 1} | ${gate.weight}% | ${escapeCell(gate.gate)} | ${gate.passed ? 'pass' : 'FAIL'} | ${escapeCell(gate.detail)} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

/**
 * How long a failing canary can run before it is removed, at worst: a crash shows on the watch at once;
 * a metric needs (failure-limit + 1) failed measurements, an interval apart; a smoke check its retries.
 */
function worstCaseRollback(inputs: CanaryInputs): string {
  const parts = ['health: seconds (watched)'];
  for (const metric of inputs.metrics) {
    const failures = metric.onFail === 'fail' ? 1 : metric.failureLimit + 1;
    parts.push(`${metric.name}: ${seconds(metric.initialDelayMs + failures * metric.intervalMs)} (${failures} × ${seconds(metric.intervalMs)})`);
  }
  for (const check of inputs.smokeChecks) {
    parts.push(`smoke ${check.name}: ${seconds((check.retries + 1) * check.timeoutMs + check.retries * check.retryDelayMs)}`);
  }
  return parts.join('; ');
}

function seconds(ms: number): string {
  if (ms >= 120_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

import type { CanaryResult } from '../../canary/canary-machine.ts';
import type { DeployResult } from '../../deploy/deploy-machine.ts';
import { renderCanarySummary } from './canary-report.ts';
import type { StepReport } from '../framework/step-definition.ts';
import { escapeCell } from '../scan/reports/markdown-report.ts';
import type { DeployInputs } from './deploy-inputs.ts';
import type { DeployRunResult } from './run-deploy.ts';

/** deploy's outputs, summary and outcome: exit 0 deployed, 1 rolled back or blocked, 4 needs a human. */
export function buildDeployReport(inputs: DeployInputs, run: DeployRunResult): StepReport {
  const deploy = run.deploy;
  const canary = run.canary;
  const result: DeployResult | CanaryResult = canary?.result ?? deploy?.result ?? 'not-deployed';
  const reason = (canary ? canary.reason : deploy?.reason) ?? (run.policy && !run.policy.passed ? `policy gate: ${run.policy.reason}` : undefined);
  const outputs: Record<string, string> = {
    result,
    revision: String(run.revision ?? deploy?.revision ?? ''),
    'deployed-revision': deploy?.deployedRevision === undefined ? '' : String(deploy.deployedRevision),
    'rolled-back-to': deploy?.rolledBackTo === undefined ? '' : String(deploy.rolledBackTo),
    reason: reason ?? '',
    repaired: run.repaired?.description ?? '',
    'failed-gate': canary?.failedGate ?? '',
  };
  const lines = [`### Slipway deploy${canary ? ' (canary)' : ''}: ${run.release} in ${run.namespace} — ${result}`, ''];
  if (reason) lines.push(`**Why:** ${escapeCell(reason)}`, '');
  if (canary && inputs.canary) lines.push(...renderCanarySummary(inputs.canary, canary));
  if (run.superseded) lines.push(`**Removed first:** ${escapeCell(run.superseded)}`, '');
  const failure = canary?.failure ?? deploy?.failure;
  if (failure) {
    lines.push('| workload | pod | container | reason | last log line |', '|---|---|---|---|---|');
    lines.push(
      `| ${escapeCell(failure.workload)} | ${escapeCell(failure.pod ?? '')} | ${escapeCell(failure.container ?? '')} | ${escapeCell(failure.reason)} | ${escapeCell(failure.lastLogLine ?? '')} |`,
      '',
    );
  }
  if (deploy) {
    const facts = [
      `from revision: ${deploy.fromRevision ?? 'none (first install)'}`,
      `deployed revision: ${deploy.deployedRevision ?? 'none'}`,
      ...(deploy.rolledBackTo !== undefined
        ? [
            `restored: revision ${deploy.rolledBackTo} (as revision ${deploy.rollbackRevision ?? '?'}${deploy.rollbackVerified ? ', healthy' : ', not watched: cancelled'})`,
          ]
        : []),
      `now running: ${deploy.revision ?? 'nothing (uninstalled)'}`,
    ];
    lines.push(...facts.map((fact) => `- ${fact}`), '');
  }
  if (inputs.image) lines.push(`Image: \`${inputs.image.pinned.reference}\``, '');
  if (run.repaired) lines.push(`**Repaired before the upgrade:** ${escapeCell(run.repaired.description)}`, '');
  if (run.policy)
    lines.push(`**Policy gate:** ${run.policy.passed ? 'passed' : 'failed'} — ${escapeCell(run.policy.reason)}`, '', run.policy.summaryMarkdown, '');
  const timeline = [...(canary?.timeline ?? []), ...(canary ? [] : (deploy?.timeline ?? []))];
  if (timeline.length) {
    const start = timeline[0]?.at.getTime() ?? 0;
    lines.push('| t | event |', '|---|---|');
    for (const entry of timeline) lines.push(`| +${((entry.at.getTime() - start) / 1000).toFixed(1)} s | ${escapeCell(entry.message)} |`);
    lines.push('');
  }
  const outcome =
    result === 'deployed' || result === 'promoted' || result === 'paused' ? 'succeeded' : result === 'needs-human' ? 'needs-human' : 'gate-failed';
  return {
    outcome,
    ...(outcome === 'succeeded' ? {} : { reason: `deploy of ${run.release}: ${result}${reason ? `: ${reason}` : ''}` }),
    outputs,
    summary: lines.join('\n'),
    result: {
      release: run.release,
      namespace: run.namespace,
      strategy: inputs.strategy,
      result,
      reason,
      repaired: run.repaired?.description,
      policy: run.policy ? { passed: run.policy.passed, reason: run.policy.reason, counts: run.policy.counts } : undefined,
      deploy: deploy ? { ...deploy, timeline: deploy.timeline.map((entry) => ({ at: entry.at.toISOString(), message: entry.message })) } : undefined,
      canary: canary
        ? {
            result: canary.result,
            reason: canary.reason,
            failedGate: canary.failedGate,
            weights: canary.weights.map((entry) => ({ at: entry.at.toISOString(), weight: entry.weight })),
            // The gates' thresholds, so that a report can chart each metric against its own.
            metrics: inputs.canary?.metrics.map((check) => ({ name: check.name, threshold: check.threshold })) ?? [],
            gates: canary.gates.map((gate) => ({ ...gate, at: gate.at.toISOString() })),
            timeline: canary.timeline.map((entry) => ({ at: entry.at.toISOString(), message: entry.message })),
            rollbackDecidedAt: canary.rollbackDecidedAt?.toISOString(),
            rollbackDoneAt: canary.rollbackDoneAt?.toISOString(),
          }
        : undefined,
    },
  };
}

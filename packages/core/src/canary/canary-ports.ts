import type { WorkloadRef } from '../deploy/health/rendered-workloads.ts';
import type { ReleaseSession } from '../deploy/release-session.ts';
import { rollBackRelease } from '../deploy/roll-back-release.ts';
import { runDirectDeploy, type DirectDeployOutcome, type DirectDeployPlan } from '../deploy/run-direct-deploy.ts';
import { describeError } from '../errors/index.ts';
import type { HelmHistoryEntry } from '../tools/helm-parsers.ts';
import { runHelmTest } from '../smoke/run-helm-test.ts';
import { runSmokeChecks } from '../smoke/run-smoke-checks.ts';
import type { SmokeCheck } from '../smoke/smoke-check.ts';
import type { MetricGate } from './analysis/metric-gate.ts';
import type { CanaryObjectRef } from './canary-journal.ts';
import { applyCanary, removeCanary, scaleCanary } from './derive/canary-objects.ts';
import { canaryReplicas } from './derive/canary-replicas.ts';
import type { CanaryPlan } from './derive/derive-canary.ts';
import { readObject } from './derive/kube-object-client.ts';
import type { CanaryPorts, SmokeVerdict } from './run-canary.ts';
import type { TrafficRouter } from './traffic/traffic-router.ts';

export interface CanaryPortsOptions {
  session: ReleaseSession;
  /** The plan (a new canary), or undefined when a later run continues one from the journal. */
  plan: CanaryPlan | undefined;
  /** What the journal or the plan says the canary consists of. */
  objects: readonly CanaryObjectRef[];
  workloads: readonly WorkloadRef[];
  router: TrafficRouter;
  smokeChecks: readonly SmokeCheck[];
  metrics: readonly MetricGate[];
  /** The stable upgrade the promotion runs (the direct strategy's plan), and the history before it. */
  promotion: DirectDeployPlan;
  history: readonly HelmHistoryEntry[];
  helmTest: boolean;
  /** The direct deploy's outcome, once the promotion ran: for the summary. */
  onPromotion?: (outcome: DirectDeployOutcome) => void;
}

/** How long the smoke checks of one step may take together. */
const smokeDeadlineMs = 120_000;

/**
 * The canary executor's ports over the real adapters: derived objects applied and scaled through the
 * Kubernetes API, the router, the smoke engine against the canary's own Services, the metric gates,
 * and the promotion through the direct strategy (watched, rolled back on failure).
 */
export function createCanaryPorts(options: CanaryPortsOptions): CanaryPorts {
  const { session, plan, router } = options;
  const { api, deps, target } = session;
  let applied = false;
  const canaryService = new Map((plan?.services ?? []).map((service) => [service.stable, service.canary]));

  const setWeight = async (weight: number, signal: AbortSignal) => {
    if (plan) {
      const counts: Record<string, number> = {};
      for (const workload of plan.workloads) {
        const stable = await readObject(api, { apiVersion: 'apps/v1', kind: workload.kind, namespace: workload.namespace, name: workload.stable }, signal);
        const stableReplicas = typeof stable?.spec?.replicas === 'number' ? stable.spec.replicas : workload.renderedReplicas;
        counts[workload.stable] = canaryReplicas(stableReplicas, weight, plan.provider).replicas;
      }
      if (!applied) {
        deps.log.info(`canary: creating ${plan.refs.map((ref) => `${ref.kind}/${ref.name}`).join(', ')}`);
        await applyCanary(api, plan, counts, signal);
        applied = true;
      } else if (plan.provider !== 'replicas') await scaleCanary(api, plan, counts, signal);
    }
    const result = await router.setWeight(weight);
    return { effective: result.effective, detail: result.detail };
  };

  const runSmoke =
    options.smokeChecks.length === 0
      ? undefined
      : async (signal: AbortSignal): Promise<SmokeVerdict> => {
          // A check of one of the release's Services goes to its canary copy: the canary is what is judged.
          const checks = options.smokeChecks.map((check) =>
            check.target.kind === 'service' && canaryService.has(check.target.name)
              ? { ...check, target: { ...check.target, name: canaryService.get(check.target.name) as string } }
              : check,
          );
          const run = await runSmokeChecks(checks, {
            deadlineMs: smokeDeadlineMs,
            log: { info: (line) => deps.log.info(line) },
            setSecret: deps.setSecret,
            signal,
            serviceProxy: api,
            defaultNamespace: target.namespace,
          });
          const passed = run.checks.filter((check) => check.passed).length;
          const latencies = run.checks.map((check) => `${check.name} ${check.latencyMs === undefined ? 'no answer' : `${Math.round(check.latencyMs)} ms`}`);
          const failed = run.checks.filter((check) => !check.passed).map((check) => `${check.name}: ${check.failures.join(', ') || 'failed'}`);
          return {
            passed: run.passed,
            summary: `${passed}/${run.checks.length} passed (${latencies.join(', ')})`,
            reason: run.deadlineReached && failed.length === 0 ? 'the smoke deadline ran out' : failed.join('; '),
          };
        };

  const promote: CanaryPorts['promote'] = async () => {
    // Stable serves everything again while it is upgraded (rolling, at full scale); the canary goes after.
    await router.restore();
    const outcome = await runDirectDeploy(session, options.promotion, options.history);
    options.onPromotion?.(outcome);
    if (outcome.result !== 'deployed') {
      return { ok: false, reason: outcome.reason ?? outcome.result, stableRestored: outcome.result === 'rolled-back' || outcome.result === 'not-deployed' };
    }
    const revision = outcome.revision ?? 0;
    if (options.helmTest) {
      const test = await runHelmTest(session.steadyHelm, {
        ...session.helmTarget,
        release: target.release,
        timeoutMs: options.promotion.timeoutMs,
        log: { info: (line) => deps.log.info(line) },
      });
      if (!test.passed) {
        const failedTests = test.tests.filter((t) => !t.passed).map((t) => `${t.name} ${t.phase}`);
        const reason = `helm test failed: ${failedTests.join(', ') || test.message || 'no test passed'}`;
        try {
          await session.journal.markBad(revision);
          await rollBackRelease(session, {
            exclude: [revision],
            uninstallIfNone: false,
            deadline: Date.now() + options.promotion.timeoutMs,
            watchTimeoutMs: options.promotion.timeoutMs,
            maxRestarts: options.promotion.maxRestarts,
          });
          return { ok: false, reason, stableRestored: true };
        } catch (error) {
          return { ok: false, reason: `${reason}; then the rollback failed: ${describeError(error).split('\n')[0]}`, stableRestored: false };
        }
      }
    }
    return { ok: true, revision, summary: outcome.timeline.at(-1)?.message ?? `revision ${revision} healthy` };
  };

  return {
    workloads: options.workloads,
    setWeight,
    restoreTraffic: () => router.restore(),
    removeCanary: async () => {
      const removed = await removeCanary(api, { namespace: target.namespace, release: target.release, refs: options.objects });
      if (removed.refused.length > 0) {
        deps.log.warning(
          `canary: left alone (not Slipway's canary of ${target.release}): ${removed.refused.map((entry) => `${entry.ref.kind}/${entry.ref.name}: ${entry.reason}`).join('; ')}`,
        );
      }
      if (removed.deleted.length > 0) deps.log.info(`canary: removed ${removed.deleted.map((ref) => `${ref.kind}/${ref.name}`).join(', ')}`);
    },
    runSmoke,
    metrics: options.metrics,
    promote,
    snapshot: () => router.snapshot(),
  };
}

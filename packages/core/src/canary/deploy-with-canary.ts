import { createHash } from 'node:crypto';
import type { WorkloadKind, WorkloadRef } from '../deploy/health/rendered-workloads.ts';
import { openReleaseSession } from '../deploy/release-session.ts';
import type { ReleaseTarget } from '../deploy/release-target.ts';
import { saveReleaseState } from '../deploy/release-state.ts';
import { repairPendingRelease, type RepairReport } from '../deploy/repair-pending-release.ts';
import { readHistory } from '../deploy/roll-back-release.ts';
import { runDirectDeploy, type DirectDeployOutcome, type DirectDeployPlan } from '../deploy/run-direct-deploy.ts';
import { formatRun } from '../deploy/run-identity.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import { InvalidInputsError, SlipwayError, type InputProblem } from '../errors/index.ts';
import type { StepDeps } from '../steps/framework/step-deps.ts';
import type { CanaryInputs } from '../steps/deploy/deploy-inputs.ts';
import type { Helm } from '../tools/helm.ts';
import { currentRevision } from '../tools/helm-parsers.ts';
import type { AzureAuth } from '../azure/azure-auth.ts';
import { MetricGate } from './analysis/metric-gate.ts';
import { renderQuery, type QueryVars } from './analysis/metric-checks.ts';
import { PrometheusClient } from './analysis/prometheus-client.ts';
import type { CanaryJournal } from './canary-journal.ts';
import { createCanaryPorts } from './canary-ports.ts';
import { leftCanary, removeLeftCanary } from './remove-left-canary.ts';
import { deriveCanary, type CanaryPlan } from './derive/derive-canary.ts';
import { runCanary, type CanaryOutcome } from './run-canary.ts';
import { createTrafficRouter } from './traffic/create-traffic-router.ts';
import type { TrafficRouter, TrafficSnapshot } from './traffic/traffic-router.ts';

export interface CanaryDeployRequest {
  canary: CanaryInputs;
  target: ReleaseTarget;
  /** The chart rendered with the new values. */
  manifest: string;
  /** The stable upgrade: what the promotion (or a first install) runs. */
  direct: DirectDeployPlan;
  image: string | undefined;
  azureAuth: AzureAuth | undefined;
  helm: Helm;
  createNamespace: boolean;
}

export interface CanaryDeployResult {
  /** The canary's run; undefined when there was no stable release yet and the chart was installed directly. */
  canary: CanaryOutcome | undefined;
  /** The direct deploy: a first install, or the promotion's stable upgrade. */
  direct: DirectDeployOutcome | undefined;
  repaired: RepairReport | undefined;
  /** Set when a canary a previous run left behind was removed first. */
  superseded: string | undefined;
  /** The stable release's revision now (the promoted one after a promotion). */
  revision: number | undefined;
}

/**
 * `strategy: canary`: everything that can be refused is checked before the cluster changes (the canary
 * derivable from the chart, every PromQL query accepted by Prometheus, the router's Ingress or
 * HTTPRoute present); then, holding the release's Lease, a stuck release is repaired, a canary an
 * earlier run left is removed (or continued, with `action: promote` / `abort`), and the canary runs.
 * A release with no deployed revision yet has nothing to compare against: it is installed directly.
 */
export async function runCanaryDeploy(request: CanaryDeployRequest, deps: StepDeps): Promise<CanaryDeployResult> {
  const { canary, target } = request;
  const release = { release: target.release, namespace: target.namespace };
  const manifestDigest = `sha256:${createHash('sha256').update(request.manifest).digest('hex')}`;
  const plan =
    canary.action === 'start'
      ? deriveCanary(request.manifest, { release: release.release, namespace: release.namespace, provider: canary.traffic, runId: deps.run.id })
      : undefined;
  for (const note of plan?.notes ?? []) deps.log.info(`canary: ${note}`);
  const metrics = canary.action === 'start' && plan ? await prepareMetricGates(request, plan, deps) : [];

  const session = await openReleaseSession(target, deps, {
    operation: 'deploy',
    purpose: `canary deploy by ${formatRun(deps.run)}`,
    helm: request.helm,
    createNamespace: request.createNamespace,
  });
  try {
    const previous = session.previous;
    const left = leftCanary(previous);

    let router: TrafficRouter;
    let objects = plan?.refs ?? [];
    let workloads: WorkloadRef[] = (plan?.workloads ?? []).map((w) => ({ kind: w.kind, name: w.canary, namespace: w.namespace, hooks: [] }));
    let resume: Parameters<typeof runCanary>[3];
    let historyBefore: Awaited<ReturnType<typeof readHistory>> | undefined;
    if (canary.action !== 'start') {
      if (!left || previous?.phase !== 'paused') {
        throw new InvalidInputsError([
          {
            input: 'action',
            message: `there is no paused canary of release ${release.release} to ${canary.action}${previous ? ` (its journal says ${previous.phase})` : ''}`,
            hint: 'run with action start (the default) to begin a canary',
          },
        ]);
      }
      if (canary.action === 'promote' && left.manifestDigest !== manifestDigest) {
        throw new InvalidInputsError([
          {
            input: 'chart',
            message: `the chart rendered with these values is not what the paused canary runs (${manifestDigest.slice(0, 19)}… vs ${left.manifestDigest.slice(0, 19)}…)`,
            hint: 'give promote the same chart, values, set and image as the run that started the canary',
          },
        ]);
      }
      router = createTrafficRouter(session.api, { restoreFrom: left.router as TrafficSnapshot });
      objects = left.objects;
      workloads = left.workloads.map(parseWorkload(release.namespace));
      resume = { state: left.state, action: canary.action, by: formatRun(deps.run) };
    } else {
      router = createTrafficRouter(session.api, { plan, ingress: canary.ingress, httpRoute: canary.httpRoute });
      // A first install goes in directly (below): there is no stable workload or route yet to weigh against.
      historyBefore = await readHistory(session);
      const problems = historyBefore.some((revision) => revision.status === 'deployed') ? await router.check() : [];
      if (problems.length > 0) {
        const input = canary.traffic === 'gateway-api' ? 'http-route' : canary.traffic === 'ingress-nginx' ? 'ingress' : 'traffic';
        throw new InvalidInputsError(problems.map((message): InputProblem => ({ input, message })));
      }
    }

    saveReleaseState(deps, { target: session.target, runId: deps.run.id, timeoutMs: request.direct.timeoutMs, maxRestarts: request.direct.maxRestarts });
    const repair = await repairPendingRelease(session, {
      deadline: Date.now() + request.direct.timeoutMs,
      watchTimeoutMs: request.direct.timeoutMs,
      maxRestarts: request.direct.maxRestarts,
    });
    // A repair changed the history: read it again. Otherwise the Lease kept it as it was read above.
    const history = repair.history ?? historyBefore ?? (await readHistory(session));

    const superseded = canary.action === 'start' ? await removeLeftCanary(session) : undefined;

    if (canary.action === 'start' && currentRevision(history)?.status !== 'deployed') {
      deps.log.info(`canary: release ${release.release} has no deployed revision to compare against; installing it directly`);
      const direct = await runDirectDeploy(session, request.direct, history);
      return { canary: undefined, direct, repaired: repair.report, superseded, revision: direct.revision };
    }

    let promotion: DirectDeployOutcome | undefined;
    const ports = createCanaryPorts({
      session,
      plan,
      objects,
      workloads,
      router,
      smokeChecks: canary.smokeChecks,
      metrics,
      promotion: request.direct,
      history,
      helmTest: canary.helmTest,
      onPromotion: (outcome) => (promotion = outcome),
    });
    const journal: Omit<CanaryJournal, 'state' | 'router' | 'gates'> = {
      provider: left && canary.action !== 'start' ? left.provider : canary.traffic,
      objects,
      workloads: workloads.map((w) => `${w.kind}/${w.name}`),
      manifestDigest: left && canary.action !== 'start' ? left.manifestDigest : manifestDigest,
      image: request.image,
    };
    const outcome = await runCanary(
      session,
      {
        steps: canary.action === 'start' ? canary.steps : (left?.state.steps ?? canary.steps),
        bakeMs: canary.bakeMs,
        pauseAfterStep: canary.pauseAfterStep,
        timeoutMs: request.direct.timeoutMs,
        maxRestarts: request.direct.maxRestarts,
        journal,
      },
      ports,
      resume,
    );
    const stable = currentRevision(await readHistory(session))?.revision;
    return { canary: outcome, direct: promotion, repaired: repair.report, superseded, revision: stable };
  } finally {
    await session.close();
  }
}

/** `Deployment/web-canary` from the journal, as the health watch names it. */
function parseWorkload(namespace: string) {
  return (text: string): WorkloadRef => {
    const [kind, name] = text.split('/') as [WorkloadKind, string];
    return { kind, name, namespace, hooks: [] };
  };
}

/**
 * The metric gates, each query checked by Prometheus before anything changes: one it rejects is bad
 * input (exit 2, naming the metric); Prometheus unreachable is the environment's problem (exit 3).
 */
async function prepareMetricGates(request: CanaryDeployRequest, plan: CanaryPlan, deps: StepDeps): Promise<MetricGate[]> {
  const { canary } = request;
  if (canary.metrics.length === 0 || !canary.prometheus) return [];
  let getToken: ((signal: AbortSignal) => Promise<string>) | undefined;
  if (canary.prometheus.auth === 'azure') {
    if (!request.azureAuth) throw new SlipwayError('INPUT_INVALID', 'managed Prometheus needs the Azure inputs', ExitCode.invalidInput);
    // The Azure SDK loads only for managed Prometheus.
    const { createStepCredential } = await import('../azure/step-credential.ts');
    const { createManagedPrometheusTokenSupplier } = await import('./analysis/managed-prometheus-token.ts');
    const { credential, description } = createStepCredential(request.azureAuth, deps);
    deps.log.info(`metrics: signing in to managed Prometheus ${description}`);
    const supply = createManagedPrometheusTokenSupplier(credential);
    getToken = async (signal) => {
      const token = await supply(signal);
      deps.setSecret(token);
      return token;
    };
  }
  const client = new PrometheusClient({ url: canary.prometheus.url, ...(getToken ? { getToken } : {}) });
  const vars: QueryVars = { release: request.target.release, namespace: request.target.namespace, canary: plan.workloads[0]?.canary ?? '' };
  const problems: InputProblem[] = [];
  for (const [index, check] of canary.metrics.entries()) {
    const result = await client.checkQuery(renderQuery(check.query, vars), { signal: deps.signal });
    if (result.kind === 'rejected') problems.push({ input: `metrics[${index}].query`, message: `Prometheus rejects it: ${result.message}` });
    if (result.kind === 'unreachable') {
      throw new SlipwayError('PROMETHEUS_UNREACHABLE', `Prometheus at ${client.endpoint} cannot be queried: ${result.error.message}`, ExitCode.environment, {
        hint: "check prometheus-url, the network from this runner, and (managed Prometheus) the identity's Monitoring Data Reader role",
      });
    }
  }
  if (problems.length > 0) throw new InvalidInputsError(problems);
  deps.log.info(`metrics: ${canary.metrics.length} ${canary.metrics.length === 1 ? 'query' : 'queries'} accepted by ${client.endpoint}`);
  return canary.metrics.map((check) => new MetricGate(client, check, vars));
}

import { describeError, ExecError } from '../errors/index.ts';
import type { HelmChartRef } from '../tools/helm-args.ts';
import type { HelmHistoryEntry } from '../tools/helm-parsers.ts';
import { decide, initialDeployState, type DeployAction, type DeployObservation, type DeployResult, type DeployState } from './deploy-machine.ts';
import type { WorkloadRef } from './health/rendered-workloads.ts';
import { startRolloutWatch, type RolloutVerdict } from './health/rollout-watch.ts';
import type { ReleaseSession } from './release-session.ts';
import { describeFailure, readHistory, rollBackRelease } from './roll-back-release.ts';
import { currentRevision } from '../tools/helm-parsers.ts';

/**
 * How long a rollback after a cancel may take, health watch included: GitHub sends SIGTERM 7.5 s after
 * SIGINT and kills 2.5 s later; the post phase finishes what does not fit.
 */
export const cancelGraceMs = 7000;

export interface DirectDeployPlan {
  chart: HelmChartRef;
  /** Values files in order: the user's, then the pinned image's. */
  valuesFiles: readonly string[];
  set: Readonly<Record<string, string>>;
  createNamespace: boolean;
  historyMax: number;
  /** Helm 4's `--server-side`; `auto` leaves Helm's own default. */
  serverSide?: 'auto' | 'true' | 'false' | undefined;
  description: string;
  caFile?: string | undefined;
  /** The workloads of the chart rendered with these values (hook Jobs included). */
  workloads: readonly WorkloadRef[];
  timeoutMs: number;
  stableForMs: number;
  maxRestarts: number;
}

export interface TimelineEntry {
  at: Date;
  message: string;
}

export interface DirectDeployOutcome {
  result: DeployResult;
  fromRevision: number | undefined;
  deployedRevision: number | undefined;
  /** The revision running now. */
  revision: number | undefined;
  rolledBackTo: number | undefined;
  /** The revision the rollback made (a copy of `rolledBackTo`). */
  rollbackRevision: number | undefined;
  rollbackVerified: boolean;
  reason: string | undefined;
  /** The failure the health watch saw, for the summary. */
  failure: Extract<RolloutVerdict, { status: 'failed' }>['failure'] | undefined;
  timeline: TimelineEntry[];
  cancelled: boolean;
}

/**
 * The executor of the direct deploy: the only code of it with I/O. It turns Helm's exit, the health
 * watch's verdict and the cancel signal into observations, feeds them to `decide`, records each
 * transition in the journal and the log, and carries out the actions.
 */
export async function runDirectDeploy(session: ReleaseSession, plan: DirectDeployPlan, history?: readonly HelmHistoryEntry[]): Promise<DirectDeployOutcome> {
  const { deps, target } = session;
  const timeline: TimelineEntry[] = [];
  const note = (message: string) => {
    timeline.push({ at: deps.now(), message });
    deps.log.info(`deploy: ${message}`);
  };
  const fromRevision = currentRevision(history ?? (await readHistory(session)))?.revision;
  let state: DeployState = initialDeployState(fromRevision);
  const outcome: Omit<DirectDeployOutcome, 'result' | 'timeline'> = {
    fromRevision,
    deployedRevision: undefined,
    revision: fromRevision,
    rolledBackTo: undefined,
    rollbackRevision: undefined,
    rollbackVerified: false,
    reason: undefined,
    failure: undefined,
    cancelled: false,
  };
  note(fromRevision === undefined ? `installing ${target.release}` : `upgrading ${target.release} from revision ${fromRevision}`);
  await session.journal.record('upgrading', timeline.at(-1)?.message ?? '', { fromRevision });

  let pending: DeployAction[] = [];
  const apply = async (observation: DeployObservation) => {
    const decision = decide(state, observation);
    state = decision.next;
    note(decision.transition);
    await session.journal.record(journalPhaseOf(state), decision.transition, {
      deployedRevision: state.deployedRevision,
      rolledBackTo: state.rolledBackTo,
      reason: state.reason,
    });
    pending.push(...decision.actions);
  };

  for (const observation of await upgradeAndWatchHooks(session, plan, (verdict) => (outcome.failure ??= verdict.failure))) await apply(observation);
  while (pending.length > 0) {
    const action = pending.shift() as DeployAction;
    switch (action.kind) {
      case 'verify':
        outcome.deployedRevision = action.revision;
        outcome.revision = action.revision;
        await apply(await verify(session, plan, (verdict) => (outcome.failure ??= verdict.failure)));
        break;
      case 'mark-bad':
        await session.journal.markBad(action.revision);
        break;
      case 'roll-back':
        await apply(await rollBack(session, plan, action, state.cancelled, outcome));
        break;
      case 'finish':
        pending = [];
        break;
    }
  }
  outcome.deployedRevision ??= state.deployedRevision;
  return { ...outcome, result: state.result ?? 'needs-human', reason: state.reason, rolledBackTo: state.rolledBackTo, cancelled: state.cancelled, timeline };
}

function journalPhaseOf(state: DeployState) {
  if (state.phase === 'done') return state.result ?? 'needs-human';
  return state.phase;
}

/**
 * `helm upgrade --install` without Helm's wait, with the health watch already running (it sees hook
 * Jobs, which Helm runs and waits for inside the upgrade). A failure the watch sees while Helm runs stops
 * Helm (SIGTERM: Helm marks the revision failed and releases its lock) instead of waiting for it.
 */
async function upgradeAndWatchHooks(
  session: ReleaseSession,
  plan: DirectDeployPlan,
  onFailure: (verdict: Extract<RolloutVerdict, { status: 'failed' }>) => void,
): Promise<DeployObservation[]> {
  const { deps, target } = session;
  const stopHelm = new AbortController();
  const cancelled = deps.signal;
  const onCancel = () => stopHelm.abort(cancelled.reason);
  cancelled.addEventListener('abort', onCancel, { once: true });
  const watchStop = new AbortController();
  const hookJobs = plan.workloads.filter((workload) => workload.hooks.length > 0);
  const watch = hookJobs.length
    ? await startRolloutWatch(session.api, {
        namespace: target.namespace,
        workloads: hookJobs,
        timeoutMs: plan.timeoutMs,
        signal: watchStop.signal,
        onTransition: (line) => deps.log.info(line),
        restartBurst: { restarts: plan.maxRestarts + 1, windowMs: 60_000 },
      })
    : undefined;
  let hookFailure: DeployObservation | undefined;
  void watch?.verdict.then((verdict) => {
    if (verdict.status !== 'failed') return;
    onFailure(verdict);
    hookFailure = { kind: 'unhealthy', reason: `hook ${describeFailure(verdict)}` };
    stopHelm.abort(new Error('a hook failed'));
  });
  const helm = session.helm.withRunner(deps.runner.withSignal(stopHelm.signal));
  try {
    await helm.upgrade(
      {
        ...session.helmTarget,
        release: target.release,
        chart: plan.chart,
        valuesFiles: plan.valuesFiles,
        set: plan.set,
        createNamespace: plan.createNamespace,
        historyMax: plan.historyMax,
        description: plan.description,
        ...(plan.serverSide && plan.serverSide !== 'auto' ? { serverSide: plan.serverSide } : {}),
        timeoutMs: plan.timeoutMs,
        ...(plan.caFile ? { caFile: plan.caFile } : {}),
      },
      { onLine: (line) => deps.log.debug(`helm: ${line}`) },
    );
    const revision = currentRevision(await readHistory(session))?.revision ?? 0;
    return [...(cancelled.aborted ? [{ kind: 'cancelled', reason: 'the run was cancelled' } as const] : []), { kind: 'upgrade-applied', revision }];
  } catch (error) {
    const newest = currentRevision(await readHistory(session))?.revision;
    if (hookFailure) {
      // The hook's failure is the reason; Helm's exit after the SIGTERM says nothing more.
      return [hookFailure.kind === 'unhealthy' ? { kind: 'upgrade-failed', reason: hookFailure.reason, revision: newest } : hookFailure];
    }
    const reason = helmFailureReason(error);
    return [
      ...(cancelled.aborted ? [{ kind: 'cancelled', reason: 'the run was cancelled' } as const] : []),
      { kind: 'upgrade-failed', reason, revision: newest },
    ];
  } finally {
    cancelled.removeEventListener('abort', onCancel);
    watchStop.abort();
    watch?.stop();
  }
}

/** Slipway's own health watch of the rendered workloads, until every one is rolled out, one fails, time runs out or the run is cancelled. */
async function verify(
  session: ReleaseSession,
  plan: DirectDeployPlan,
  onFailure: (verdict: Extract<RolloutVerdict, { status: 'failed' }>) => void,
): Promise<DeployObservation> {
  const { deps, target } = session;
  const workloads = plan.workloads.filter((workload) => workload.hooks.length === 0);
  const watch = await startRolloutWatch(session.api, {
    namespace: target.namespace,
    workloads,
    timeoutMs: plan.timeoutMs,
    signal: deps.signal,
    onTransition: (line) => deps.log.info(line),
    restartBurst: { restarts: plan.maxRestarts + 1, windowMs: 60_000 },
    settleMs: plan.stableForMs,
  });
  watch.armed();
  try {
    const verdict = await watch.verdict;
    switch (verdict.status) {
      case 'healthy':
        return {
          kind: 'healthy',
          summary: verdict.workloads.length ? `${verdict.workloads.join(', ')} rolled out in ${seconds(verdict.elapsedMs)}` : 'no workloads to watch',
        };
      case 'failed':
        onFailure(verdict);
        return { kind: 'unhealthy', reason: describeFailure(verdict) };
      case 'timed-out':
        return { kind: 'unhealthy', reason: `not rolled out within ${seconds(plan.timeoutMs)}: ${verdict.pending.join('; ')}` };
      case 'cancelled':
        return { kind: 'cancelled', reason: 'the run was cancelled while its workloads were watched' };
    }
  } finally {
    watch.stop();
  }
}

async function rollBack(
  session: ReleaseSession,
  plan: DirectDeployPlan,
  action: Extract<DeployAction, { kind: 'roll-back' }>,
  cancelled: boolean,
  outcome: Omit<DirectDeployOutcome, 'result' | 'timeline'>,
): Promise<DeployObservation> {
  const deadline = Date.now() + (cancelled ? cancelGraceMs : plan.timeoutMs);
  try {
    const result = await rollBackRelease(session, {
      exclude: action.exclude,
      uninstallIfNone: action.uninstallIfNone,
      deadline,
      watchTimeoutMs: plan.timeoutMs,
      maxRestarts: plan.maxRestarts,
    });
    if (result.kind === 'uninstalled') {
      outcome.revision = undefined;
      return { kind: 'uninstalled' };
    }
    if (result.kind === 'nothing-to-do') return { kind: 'rollback-failed', reason: result.reason };
    outcome.revision = result.revision;
    outcome.rollbackRevision = result.revision;
    outcome.rollbackVerified = result.verified;
    if (!result.verified) session.deps.log.warning(`revision ${result.to} was restored, but there was no time to watch it come up (the run was cancelled)`);
    return { kind: 'rolled-back', to: result.to };
  } catch (error) {
    return { kind: 'rollback-failed', reason: describeError(error).split('\n')[0] ?? 'unknown' };
  }
}

/**
 * What Helm said, not the whole command line: its `Error:` line (the last, when there are several), or
 * the error's first line for anything that is not Helm's exit.
 */
export function helmFailureReason(error: unknown): string {
  if (error instanceof ExecError) {
    if (error.timedOut) return `helm did not finish in time (${error.command.split(' ').slice(0, 2).join(' ')})`;
    const lines = error.stderrTail
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const said = lines.filter((line) => line.startsWith('Error:')).at(-1) ?? lines.at(-1);
    if (said) return said.replace(/^Error:\s*/, '');
  }
  return describeError(error).split('\n')[0] ?? 'unknown';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

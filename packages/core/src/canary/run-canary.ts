import { sleep } from '../concurrency/sleep.ts';
import { describeError } from '../errors/index.ts';
import type { WorkloadRef } from '../deploy/health/rendered-workloads.ts';
import { startRolloutWatch, type HealthFailure, type RolloutVerdict } from '../deploy/health/rollout-watch.ts';
import type { ReleaseSession } from '../deploy/release-session.ts';
import { describeFailure } from '../deploy/roll-back-release.ts';
import { cancelGraceMs, type TimelineEntry } from '../deploy/run-direct-deploy.ts';
import type { CanaryJournal } from './canary-journal.ts';
import type { MeasurementOutcome } from './analysis/measure-metric.ts';
import {
  decideCanary,
  initialCanaryState,
  startCanary,
  type CanaryAction,
  type CanaryDecision,
  type CanaryObservation,
  type CanaryResult,
  type CanaryState,
} from './canary-machine.ts';

/** One metric as the executor runs it: measured every `intervalMs` while a step bakes. */
export interface CanaryMetricPort {
  name: string;
  intervalMs: number;
  initialDelayMs: number;
  /** A new step begins (the per-step readiness starts over; the counters do not). */
  startStep(): void;
  /** One measurement, assessed: passed (ready for the step), not yet, or tripped (its policy's action). */
  measure(signal: AbortSignal): Promise<MetricVerdict>;
}

export type MetricVerdict = (
  | { status: 'measured'; passed: boolean; summary: string; value?: number | undefined }
  | { status: 'tripped'; action: 'fail' | 'pause'; reason: string; summary: string; value?: number | undefined }
) & { measurement?: { readonly outcome: MeasurementOutcome } | undefined };

export interface SmokeVerdict {
  passed: boolean;
  /** `3/3 passed (health 12 ms, orders 48 ms)`. */
  summary: string;
  /** What failed, for the reason. */
  reason?: string | undefined;
}

/** What the canary does to the cluster: the executor's only way to change anything. */
export interface CanaryPorts {
  /** The canary's workloads, watched at every step. */
  readonly workloads: readonly WorkloadRef[];
  /** Scales the canary for `weight` and sets the router; the weight the traffic really gets (a replica split rounds). */
  setWeight(weight: number, signal: AbortSignal): Promise<{ effective: number; detail: string }>;
  /** Traffic back to stable; idempotent. */
  restoreTraffic(): Promise<void>;
  /** Removes every canary object (the journal's list and the label sweep); idempotent. */
  removeCanary(): Promise<void>;
  runSmoke?: ((signal: AbortSignal) => Promise<SmokeVerdict>) | undefined;
  readonly metrics: readonly CanaryMetricPort[];
  /** Upgrades the stable release to the new version with the direct strategy (watched, rolled back on failure). */
  promote(): Promise<{ ok: true; revision: number; summary: string } | { ok: false; reason: string; stableRestored: boolean }>;
  /** What a later process needs to undo the traffic change (the router's snapshot), for the journal. */
  snapshot(): CanaryJournal['router'];
}

export interface CanaryRunPlan {
  steps: readonly number[];
  bakeMs: number;
  pauseAfterStep?: number | undefined;
  /** How long the canary may take to roll out at each step. */
  timeoutMs: number;
  maxRestarts: number;
  /** Fixed parts of the journal's canary record (provider, objects, what was deployed). */
  journal: Omit<CanaryJournal, 'state' | 'router' | 'gates'>;
}

/** One gate's result, for the summary. */
export interface GateRecord {
  at: Date;
  step: number;
  weight: number;
  gate: string;
  passed: boolean;
  detail: string;
  /** A metric's measured value (query units) and its assessment, for the report's chart. */
  value?: number | undefined;
  outcome?: MeasurementOutcome | undefined;
}

export interface CanaryOutcome {
  result: CanaryResult;
  reason: string | undefined;
  failedGate: string | undefined;
  state: CanaryState;
  timeline: TimelineEntry[];
  gates: GateRecord[];
  /** Weight over time, for the summary. */
  weights: Array<{ at: Date; weight: number }>;
  failure: HealthFailure | undefined;
  startedAt: Date;
  endedAt: Date;
  /** When the decision to roll back was taken, and when the rollback was done (traffic on stable, canary gone). */
  rollbackDecidedAt: Date | undefined;
  rollbackDoneAt: Date | undefined;
}

/** A queue of observations: sources push from anywhere, the loop takes one at a time. */
class ObservationQueue {
  readonly #items: CanaryObservation[] = [];
  #wake: (() => void) | undefined;

  push(observation: CanaryObservation): void {
    this.#items.push(observation);
    this.#wake?.();
  }

  async next(): Promise<CanaryObservation> {
    while (this.#items.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
    return this.#items.shift() as CanaryObservation;
  }
}

/**
 * The canary's executor: the only code of it with I/O. Every source (the health watches, the bake timer,
 * the smoke checks, the metric measurements, the cancel signal, the outcome of each action) becomes an
 * observation on one queue; each is fed to `decideCanary`, the transition is logged and written to the
 * journal, and the actions are started. `resume` continues a canary a previous run paused.
 */
export async function runCanary(
  session: ReleaseSession,
  plan: CanaryRunPlan,
  ports: CanaryPorts,
  resume?: { state: CanaryState; action: 'promote' | 'abort'; by: string },
): Promise<CanaryOutcome> {
  const { deps } = session;
  const startedAt = deps.now();
  const queue = new ObservationQueue();
  const timeline: TimelineEntry[] = [];
  const gates: GateRecord[] = [];
  const weights: Array<{ at: Date; weight: number }> = [];
  let failure: HealthFailure | undefined;
  let rollbackDecidedAt: Date | undefined;
  let rollbackDoneAt: Date | undefined;
  let state: CanaryState = resume?.state ?? initialCanaryState({ ...plan, smoke: ports.runSmoke !== undefined, metrics: ports.metrics.map((m) => m.name) });
  let step: AbortController | undefined;
  /** The weight change under way: the one thing a step does to the cluster, awaited before anything undoes it. */
  let shifting: Promise<void> = Promise.resolve();

  const note = (message: string) => {
    for (const line of message.split('\n')) {
      timeline.push({ at: deps.now(), message: line });
      deps.log.info(line);
    }
  };
  const gate = (record: Omit<GateRecord, 'at' | 'weight'>) => gates.push({ ...record, at: deps.now(), weight: state.weight });
  const onFailure = (verdict: Extract<RolloutVerdict, { status: 'failed' }>) => {
    failure ??= verdict.failure;
  };

  const onCancel = () => queue.push({ kind: 'cancelled', reason: 'the run was cancelled' });
  deps.signal.addEventListener('abort', onCancel, { once: true });

  const record = async (decision: CanaryDecision) => {
    const previousWeight = state.weight;
    state = decision.next;
    if (state.weight !== previousWeight || weights.length === 0) weights.push({ at: deps.now(), weight: state.weight });
    note(decision.transition);
    await session.journal.record(journalPhaseOf(state), decision.transition.split('\n').at(-1) ?? '', {
      reason: state.reason,
      ...(state.promotedRevision !== undefined ? { deployedRevision: state.promotedRevision } : {}),
      canary: { ...plan.journal, state, router: ports.snapshot(), gates: gates.slice(-50).map(serialiseGate) },
    });
  };

  const start = (action: CanaryAction) => {
    switch (action.kind) {
      case 'set-weight':
        step?.abort();
        step = new AbortController();
        shifting = shiftWeight(action.step, action.weight, step.signal);
        return;
      case 'bake':
        void bake(action.step, action.durationMs, step?.signal ?? new AbortController().signal);
        return;
      case 'stop-step':
        step?.abort();
        return;
      case 'promote':
        void settle(
          ports
            .promote()
            .then((result) =>
              result.ok
                ? ({ kind: 'promoted', revision: result.revision, summary: result.summary } as const)
                : ({ kind: 'promotion-failed', reason: result.reason, stableRestored: result.stableRestored } as const),
            ),
          (reason) => ({ kind: 'promotion-failed', reason, stableRestored: false }),
        );
        return;
      case 'remove-canary':
        void settle(
          ports.removeCanary().then(() => ({ kind: 'canary-removed' }) as const),
          (reason) => ({ kind: 'cleanup-failed', reason }),
        );
        return;
      case 'roll-back':
        rollbackDecidedAt = deps.now();
        void settle(
          withDeadline(state.cancelled ? cancelGraceMs : plan.timeoutMs, async () => {
            // A canary object applied after the removal swept would outlive the canary: let the stopped
            // weight change end first (its requests fail at once once its step is aborted).
            await shifting;
            await ports.restoreTraffic();
            await ports.removeCanary();
            rollbackDoneAt = deps.now();
            return { kind: 'canary-removed' } as const;
          }),
          (reason) => ({ kind: 'cleanup-failed', reason }),
        );
        return;
      case 'finish':
        return;
    }
  };

  /** Runs an action and queues what came of it; an error becomes the given observation. */
  const settle = async (work: Promise<CanaryObservation>, onError: (reason: string) => CanaryObservation) => {
    try {
      queue.push(await work);
    } catch (error) {
      queue.push(onError(describeError(error).split('\n')[0] ?? 'unknown'));
    }
  };

  const shiftWeight = async (index: number, weight: number, signal: AbortSignal) => {
    try {
      const set = await ports.setWeight(weight, signal);
      if (signal.aborted) return;
      deps.log.info(`canary: traffic ${set.detail}`);
      const verdict = await watchCanary(signal, 0);
      if (signal.aborted) return;
      if (verdict.status === 'healthy') {
        gate({ step: index, gate: 'health', passed: true, detail: `rolled out in ${(verdict.elapsedMs / 1000).toFixed(1)} s` });
        queue.push({ kind: 'step-ready', step: index, effective: set.effective, summary: set.detail });
      } else if (verdict.status === 'failed') {
        onFailure(verdict);
        gate({ step: index, gate: 'health', passed: false, detail: describeFailure(verdict) });
        queue.push({ kind: 'unhealthy', reason: describeFailure(verdict) });
      } else if (verdict.status === 'timed-out') {
        gate({ step: index, gate: 'health', passed: false, detail: `not rolled out: ${verdict.pending.join('; ')}` });
        queue.push({ kind: 'unhealthy', reason: `the canary did not roll out within ${Math.round(plan.timeoutMs / 1000)} s: ${verdict.pending.join('; ')}` });
      }
    } catch (error) {
      if (!signal.aborted) queue.push({ kind: 'step-failed', step: index, reason: describeError(error).split('\n')[0] ?? 'unknown' });
    }
  };

  const watchCanary = async (signal: AbortSignal, settleMs: number): Promise<RolloutVerdict> => {
    const watch = await startRolloutWatch(session.api, {
      namespace: session.target.namespace,
      workloads: ports.workloads,
      timeoutMs: settleMs > 0 ? settleMs + plan.timeoutMs : plan.timeoutMs,
      signal,
      onTransition: (line) => deps.log.info(line),
      restartBurst: { restarts: plan.maxRestarts + 1, windowMs: 60_000 },
      settleMs,
    });
    watch.armed();
    try {
      return await watch.verdict;
    } finally {
      watch.stop();
    }
  };

  const bake = async (index: number, durationMs: number, signal: AbortSignal) => {
    // Health for as long as the step lasts: only a failure is news (the step ends by stop-step).
    void watchCanary(signal, durationMs + plan.timeoutMs).then((verdict) => {
      if (signal.aborted || verdict.status !== 'failed') return;
      onFailure(verdict);
      gate({ step: index, gate: 'health', passed: false, detail: describeFailure(verdict) });
      queue.push({ kind: 'unhealthy', reason: describeFailure(verdict) });
    });
    if (durationMs > 0)
      void sleep(durationMs, signal).then(
        () => queue.push({ kind: 'bake-elapsed', step: index }),
        () => undefined,
      );
    if (ports.runSmoke) {
      const runSmoke = ports.runSmoke;
      void (async () => {
        try {
          const smoke = await runSmoke(signal);
          if (signal.aborted) return;
          gate({ step: index, gate: 'smoke', passed: smoke.passed, detail: smoke.summary });
          queue.push(
            smoke.passed
              ? { kind: 'smoke-passed', step: index, summary: smoke.summary }
              : { kind: 'smoke-failed', step: index, reason: `smoke: ${smoke.reason ?? smoke.summary}` },
          );
        } catch (error) {
          if (!signal.aborted) queue.push({ kind: 'smoke-failed', step: index, reason: `smoke could not run: ${describeError(error).split('\n')[0]}` });
        }
      })();
    }
    for (const metric of ports.metrics) void measureWhileBaking(index, metric, signal);
  };

  const measureWhileBaking = async (index: number, metric: CanaryMetricPort, signal: AbortSignal) => {
    metric.startStep();
    try {
      if (metric.initialDelayMs > 0) await sleep(metric.initialDelayMs, signal);
      while (!signal.aborted) {
        const verdict = await metric.measure(signal);
        if (signal.aborted) return;
        const passed = verdict.status === 'measured' && verdict.passed;
        gate({ step: index, gate: `analysis/${metric.name}`, passed, detail: verdict.summary, value: verdict.value, outcome: verdict.measurement?.outcome });
        if (verdict.status === 'tripped') {
          queue.push({ kind: 'metric-tripped', step: index, metric: metric.name, action: verdict.action, reason: verdict.reason });
          return;
        }
        queue.push({ kind: 'metric-measured', step: index, metric: metric.name, passed: verdict.passed, summary: verdict.summary });
        await sleep(metric.intervalMs, signal);
      }
    } catch {
      // Aborted: the step ended.
    }
  };

  try {
    const first = resume ? decideCanary(state, { kind: 'resume', action: resume.action, by: resume.by }) : startCanary(state);
    await record(first);
    for (const action of first.actions) start(action);
    if (deps.signal.aborted) onCancel();
    while (state.result === undefined) {
      const decision = decideCanary(state, await queue.next());
      if (decision.actions.length === 0 && decision.transition.startsWith('canary: ignored')) {
        deps.log.debug(decision.transition);
        continue;
      }
      await record(decision);
      for (const action of decision.actions) start(action);
    }
  } finally {
    step?.abort();
    deps.signal.removeEventListener('abort', onCancel);
  }
  return {
    result: state.result ?? 'needs-human',
    reason: state.reason,
    failedGate: state.failedGate,
    state,
    timeline,
    gates,
    weights,
    failure,
    startedAt,
    endedAt: deps.now(),
    rollbackDecidedAt,
    rollbackDoneAt,
  };
}

function journalPhaseOf(state: CanaryState) {
  switch (state.phase) {
    case 'shifting':
    case 'baking':
      return 'progressing' as const;
    case 'finalising':
    case 'promoting':
      return 'promoting' as const;
    case 'paused':
      return 'paused' as const;
    case 'rolling-back':
      return 'rolling-back' as const;
    case 'done':
      return state.result ?? 'needs-human';
  }
}

function serialiseGate(record: GateRecord) {
  return { ...record, at: record.at.toISOString() };
}

/** Undoing is bounded: after a cancel, by the grace the host gives; the post phase finishes what does not fit. */
async function withDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The canary as a pure state machine: `decideCanary(state, observation)` returns the next state and the
 * actions to take; the executor (run-canary.ts) is the only code with I/O. Every way to a rollback goes
 * through {@link rollBack}, the one place the `roll-back` action is emitted.
 *
 * A step is: shift the weight (scale the canary, set the router) and see the canary rolled out, then
 * bake: the health watch, the smoke checks and the metric analysis run until the bake time has passed,
 * the smoke checks passed and every metric's latest measurement passed. Then the next step, a pause for
 * a human (`pause-after-step`), or the promotion. The stable release is never touched until promotion.
 */

/** How a canary ends. */
export type CanaryResult = 'promoted' | 'rolled-back' | 'paused' | 'needs-human';

export type CanaryPhase = 'shifting' | 'baking' | 'paused' | 'promoting' | 'finalising' | 'rolling-back' | 'done';

/** What the current step still waits for before it may end. */
export interface StepWaits {
  bake: boolean;
  smoke: boolean;
  /** Metrics whose latest measurement in this step was not (yet) a Pass. */
  metrics: readonly string[];
}

export interface CanaryState {
  readonly phase: CanaryPhase;
  /** The canary's traffic weight at each step, in percent, increasing. */
  readonly steps: readonly number[];
  /** The current step (0-based); -1 before the first. */
  readonly step: number;
  /** The weight the canary has now, as the router achieved it (a replica split rounds). */
  readonly weight: number;
  /** Stop after this step (1-based), leaving the canary running for a human; undefined: never. */
  readonly pauseAfterStep: number | undefined;
  readonly bakeMs: number;
  readonly smoke: boolean;
  readonly metrics: readonly string[];
  readonly waits: StepWaits;
  /** What the current step's gates measured last, by gate (`smoke`, a metric's name): `smoke 3/3`, `error-rate 0.4% <= 1%`. */
  readonly evidence: Readonly<Record<string, string>>;
  readonly reason: string | undefined;
  /** The gate that stopped the canary: `health`, `smoke`, `analysis/<metric>`, `promotion`, `cancel`, `abort`. */
  readonly failedGate: string | undefined;
  readonly cancelled: boolean;
  readonly result: CanaryResult | undefined;
  /** The stable release's revision after the promotion. */
  readonly promotedRevision: number | undefined;
}

/** What the executor saw. `step` tags what belongs to one step, so that a late result of an earlier one is ignored. */
export type CanaryObservation =
  /** The weight of `step` is set and the canary's pods are rolled out. */
  | { kind: 'step-ready'; step: number; effective: number; summary: string }
  | { kind: 'step-failed'; step: number; reason: string }
  | { kind: 'bake-elapsed'; step: number }
  | { kind: 'smoke-passed'; step: number; summary: string }
  | { kind: 'smoke-failed'; step: number; reason: string }
  /** A metric's latest measurement passed (the metric is ready for this step) or not (it is again awaited). */
  | { kind: 'metric-measured'; step: number; metric: string; passed: boolean; summary: string }
  /** A metric's failures, errors or missing data went past its limit; `action` is its policy. */
  | { kind: 'metric-tripped'; step: number; metric: string; action: 'fail' | 'pause'; reason: string }
  /** The health watch of the canary's pods failed (any step). */
  | { kind: 'unhealthy'; reason: string }
  | { kind: 'cancelled'; reason: string }
  /** A later run continues a paused canary (`action: promote` or `abort`). */
  | { kind: 'resume'; action: 'promote' | 'abort'; by: string }
  | { kind: 'promoted'; revision: number; summary: string }
  /** The stable upgrade failed; `stableRestored`: the direct strategy rolled stable back to its last good revision. */
  | { kind: 'promotion-failed'; reason: string; stableRestored: boolean }
  | { kind: 'canary-removed' }
  | { kind: 'cleanup-failed'; reason: string };

export type CanaryAction =
  /** Scale the canary for `weight`, set the router, and watch the canary roll out. */
  | { kind: 'set-weight'; step: number; weight: number }
  /** Start the step's gates: the bake timer, the smoke checks, the metric analysis, the health watch. */
  | { kind: 'bake'; step: number; durationMs: number }
  /** Stop whatever the current step still runs (watches, timers, measurements). */
  | { kind: 'stop-step' }
  /** Traffic back to stable, then upgrade the stable release to the new version (the direct strategy, watched). */
  | { kind: 'promote' }
  /** After a promotion: remove the canary's objects. */
  | { kind: 'remove-canary' }
  /** The one rollback: traffic back to stable, the canary removed; stable untouched. */
  | { kind: 'roll-back'; reason: string; gate: string }
  | { kind: 'finish'; result: CanaryResult; reason: string | undefined };

export interface CanaryDecision {
  next: CanaryState;
  actions: CanaryAction[];
  /** One line for the log and the journal (`canary: 25% -> 50% (health ok, smoke 3/3, error-rate 0.4% <= 1%)`). */
  transition: string;
}

export interface CanaryPlanShape {
  steps: readonly number[];
  bakeMs: number;
  pauseAfterStep?: number | undefined;
  smoke: boolean;
  metrics: readonly string[];
}

export function initialCanaryState(plan: CanaryPlanShape): CanaryState {
  return {
    phase: 'shifting',
    steps: plan.steps,
    step: -1,
    weight: 0,
    pauseAfterStep: plan.pauseAfterStep,
    bakeMs: plan.bakeMs,
    smoke: plan.smoke,
    metrics: plan.metrics,
    waits: { bake: false, smoke: false, metrics: [] },
    evidence: {},
    reason: undefined,
    failedGate: undefined,
    cancelled: false,
    result: undefined,
    promotedRevision: undefined,
  };
}

/** The first decision: shift to the first step. */
export function startCanary(state: CanaryState): CanaryDecision {
  return shift(state, 0, `canary: starting, steps ${state.steps.map((w) => `${w}%`).join(' -> ')}`);
}

function shift(state: CanaryState, step: number, transition?: string): CanaryDecision {
  const weight = state.steps[step] as number;
  const next: CanaryState = { ...state, phase: 'shifting', step, waits: { bake: false, smoke: false, metrics: [] }, evidence: {} };
  return {
    next,
    actions: [{ kind: 'set-weight', step, weight }],
    transition: transition ?? `canary: ${state.steps[state.step] ?? 0}% -> ${weight}% (${describeEvidence(state)})`,
  };
}

/** The single place a rollback is decided. */
function rollBack(state: CanaryState, reason: string, gate: string, fields: Partial<CanaryState> = {}): CanaryDecision {
  const next: CanaryState = { ...state, ...fields, phase: 'rolling-back', reason, failedGate: gate, result: undefined };
  return {
    next,
    actions: [{ kind: 'stop-step' }, { kind: 'roll-back', reason, gate }],
    transition: `canary: rolling back at step ${Math.max(state.step, 0) + 1} (${state.weight}% live) on ${gate}: ${reason}`,
  };
}

function finish(state: CanaryState, result: CanaryResult, transition: string, fields: Partial<CanaryState> = {}): CanaryDecision {
  const next: CanaryState = { ...state, ...fields, phase: 'done', result };
  return { next, actions: [{ kind: 'finish', result, reason: next.reason }], transition };
}

function pause(state: CanaryState, reason: string, gate: string | undefined): CanaryDecision {
  const next: CanaryState = { ...state, phase: 'paused', reason, failedGate: gate, result: 'paused' };
  return {
    next,
    actions: [{ kind: 'stop-step' }, { kind: 'finish', result: 'paused', reason }],
    transition: `canary: paused at ${state.weight}%: ${reason}`,
  };
}

/** When every gate of the step is satisfied: the next step, a pause, or the promotion. */
function advanceIfDone(state: CanaryState, transition: string): CanaryDecision {
  const { waits } = state;
  if (waits.bake || waits.smoke || waits.metrics.length > 0) return { next: state, actions: [], transition };
  if (state.pauseAfterStep === state.step + 1) {
    const decision = pause(state, `pause-after-step ${state.step + 1}: waiting for action promote or abort`, undefined);
    return { ...decision, transition: `${transition}\ncanary: paused at ${state.weight}% for approval (${describeEvidence(state)})` };
  }
  if (state.step + 1 < state.steps.length) {
    const decision = shift(state, state.step + 1);
    return { ...decision, actions: [{ kind: 'stop-step' }, ...decision.actions], transition: `${transition}\n${decision.transition}` };
  }
  return promote(state, `${transition}\ncanary: ${state.steps[state.step] ?? 0}% -> promote (${describeEvidence(state)})`);
}

/** `health ok, smoke 3/3, error-rate 0.4% <= 1%`: what let the step pass. */
function describeEvidence(state: CanaryState): string {
  return ['health ok', ...Object.values(state.evidence)].join(', ');
}

function promote(state: CanaryState, transition: string): CanaryDecision {
  return { next: { ...state, phase: 'promoting', result: undefined }, actions: [{ kind: 'stop-step' }, { kind: 'promote' }], transition };
}

type Handler<K extends CanaryObservation['kind']> = (state: CanaryState, observation: Extract<CanaryObservation, { kind: K }>) => CanaryDecision;
type PhaseTable = { [K in CanaryObservation['kind']]?: Handler<K> };

/** Observations every running step reacts to the same way. */
const stepGates: PhaseTable = {
  unhealthy: (state, { reason }) => rollBack(state, reason, 'health'),
  cancelled: (state, { reason }) => rollBack(state, reason, 'cancel', { cancelled: true }),
  'step-failed': (state, { step, reason }) => (step === state.step ? rollBack(state, reason, 'traffic') : ignore(state, `step ${step + 1} failed late`)),
};

/** Results of a step that has ended (stopped, but already on their way): ignored. */
const lateStepResults: PhaseTable = {
  'bake-elapsed': (state) => ignore(state, 'a bake timer of an ended step'),
  'smoke-passed': (state) => ignore(state, 'a smoke result of an ended step'),
  'smoke-failed': (state) => ignore(state, 'a smoke result of an ended step'),
  'metric-measured': (state) => ignore(state, 'a measurement of an ended step'),
  'metric-tripped': (state) => ignore(state, 'a measurement of an ended step'),
  'step-ready': (state) => ignore(state, 'a rollout of an ended step'),
  'step-failed': (state) => ignore(state, 'a step failure of an ended step'),
};

const table: Record<Exclude<CanaryPhase, 'done'>, PhaseTable> = {
  shifting: {
    ...lateStepResults,
    ...stepGates,
    'step-ready': (state, { step, effective, summary }) => {
      if (step !== state.step) return ignore(state, `a late rollout of step ${step + 1}`);
      const next: CanaryState = {
        ...state,
        phase: 'baking',
        weight: effective,
        waits: { bake: state.bakeMs > 0, smoke: state.smoke, metrics: state.metrics },
      };
      const line = `canary: ${state.steps[step]}% live${effective === state.steps[step] ? '' : ` (${effective}% effective)`}: ${summary}`;
      const decision = advanceIfDone(next, line);
      return { ...decision, actions: [{ kind: 'bake', step, durationMs: state.bakeMs }, ...decision.actions] };
    },
  },
  baking: {
    ...stepGates,
    'bake-elapsed': (state, { step }) =>
      step !== state.step
        ? ignore(state, 'a late bake timer')
        : advanceIfDone(withWaits(state, { bake: false }), `canary: bake of ${seconds(state.bakeMs)} at ${state.weight}% done`),
    'smoke-passed': (state, { step, summary }) =>
      step !== state.step
        ? ignore(state, 'a late smoke result')
        : advanceIfDone({ ...withWaits(state, { smoke: false }), evidence: { ...state.evidence, smoke: `smoke ${summary}` } }, `canary: smoke ${summary}`),
    'smoke-failed': (state, { step, reason }) => (step !== state.step ? ignore(state, 'a late smoke result') : rollBack(state, reason, 'smoke')),
    'metric-measured': (state, { step, metric, passed, summary }) => {
      if (step !== state.step) return ignore(state, 'a late measurement');
      const others = state.waits.metrics.filter((name) => name !== metric);
      const next = { ...withWaits(state, { metrics: passed ? others : [...others, metric] }), evidence: { ...state.evidence, [metric]: summary } };
      return advanceIfDone(next, `canary: ${summary}`);
    },
    'metric-tripped': (state, { step, metric, action, reason }) => {
      if (step !== state.step) return ignore(state, 'a late measurement');
      return action === 'pause' ? pause(state, reason, `analysis/${metric}`) : rollBack(state, reason, `analysis/${metric}`);
    },
  },
  paused: {
    resume: (state, { action, by }) =>
      action === 'promote' ? promote(state, `canary: promotion approved by ${by}`) : rollBack(state, `aborted by ${by}`, 'abort'),
    // A paused canary has no watch running; nothing else can be observed.
    cancelled: (state) => ignore(state, 'a cancel while paused'),
  },
  promoting: {
    ...lateStepResults,
    promoted: (state, { revision, summary }) => ({
      next: { ...state, phase: 'finalising', weight: 100, promotedRevision: revision },
      actions: [{ kind: 'remove-canary' }],
      transition: `canary: stable is now revision ${revision} (${summary}); removing the canary`,
    }),
    'promotion-failed': (state, { reason, stableRestored }) =>
      stableRestored
        ? rollBack(state, `promotion failed: ${reason}`, 'promotion')
        : finish(state, 'needs-human', `canary: promotion failed and stable could not be restored: ${reason}`, {
            reason: `promotion failed and stable could not be restored: ${reason}`,
            failedGate: 'promotion',
          }),
    // The stable upgrade follows the cancel itself (the direct strategy rolls back): its outcome decides.
    cancelled: (state) => ({
      next: { ...state, cancelled: true },
      actions: [],
      transition: 'canary: cancel received while promoting; the stable upgrade handles it',
    }),
    unhealthy: (state) => ignore(state, 'the canary watch after the promotion began'),
  },
  finalising: {
    ...lateStepResults,
    'canary-removed': (state) => finish(state, 'promoted', 'canary: promoted; no canary object left'),
    'cleanup-failed': (state, { reason }) =>
      finish(state, 'needs-human', `canary: promoted, but the canary could not be removed: ${reason}`, {
        reason: `the canary could not be removed: ${reason}`,
      }),
    cancelled: (state) => ({
      next: { ...state, cancelled: true },
      actions: [],
      transition: 'canary: cancel received while removing the canary; finishing that',
    }),
    unhealthy: (state) => ignore(state, 'the canary watch while removing it'),
  },
  'rolling-back': {
    'canary-removed': (state) => finish(state, 'rolled-back', 'canary: rolled back; traffic on stable, no canary object left'),
    'cleanup-failed': (state, { reason }) =>
      finish(state, 'needs-human', `canary: rollback failed: ${reason}`, { reason: `${state.reason ?? 'canary failed'}; then its removal failed: ${reason}` }),
    cancelled: (state) => ({
      next: { ...state, cancelled: true },
      actions: [],
      transition: 'canary: cancel received while rolling back; finishing the rollback',
    }),
    ...lateStepResults,
    unhealthy: (state) => ignore(state, 'a health verdict while rolling back'),
  },
};

function withWaits(state: CanaryState, waits: Partial<StepWaits>): CanaryState {
  return { ...state, waits: { ...state.waits, ...waits } };
}

function ignore(state: CanaryState, what: string): CanaryDecision {
  return { next: state, actions: [], transition: `canary: ignored ${what}` };
}

/** The next state and actions; an observation a phase does not expect is a bug, reported as needs-human. */
export function decideCanary(state: CanaryState, observation: CanaryObservation): CanaryDecision {
  if (state.phase === 'done') return ignore(state, `${observation.kind} after the end`);
  const handler = table[state.phase][observation.kind] as Handler<typeof observation.kind> | undefined;
  if (!handler) {
    // A bug must not leave a canary running silently: undo it, unless that is what was under way.
    const reason = `internal: ${observation.kind} while ${state.phase}`;
    if (state.phase === 'shifting' || state.phase === 'baking') return rollBack(state, reason, 'internal');
    return finish(state, 'needs-human', `canary: unexpected ${observation.kind} while ${state.phase}`, { reason });
  }
  return handler(state, observation as never);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

import { describe, expect, it } from 'vitest';
import { decideCanary, initialCanaryState, startCanary, type CanaryObservation, type CanaryPlanShape, type CanaryState } from '@slipway/core';

const plan: CanaryPlanShape = { steps: [10, 25, 50], bakeMs: 30_000, smoke: true, metrics: ['error-rate'] };

/** Feeds observations one tick at a time and keeps every decision, as the executor does. */
function run(shape: CanaryPlanShape, observations: CanaryObservation[], from?: CanaryState) {
  const first = startCanary(from ?? initialCanaryState(shape));
  let state = first.next;
  const ticks = observations.map((observation) => {
    const decision = decideCanary(state, observation);
    state = decision.next;
    return decision;
  });
  return { first, state, ticks, kinds: ticks.map((tick) => tick.actions.map((action) => action.kind)) };
}

/** Everything one step needs to pass. */
function passStep(step: number, effective: number): CanaryObservation[] {
  return [
    { kind: 'step-ready', step, effective, summary: `${effective}% on 1 canary pod` },
    { kind: 'smoke-passed', step, summary: '3/3 passed' },
    { kind: 'metric-measured', step, metric: 'error-rate', passed: true, summary: 'error-rate 0.4% <= 1%' },
    { kind: 'bake-elapsed', step },
  ];
}

describe('the canary state machine, tick by tick', () => {
  it('starts by shifting to the first weight', () => {
    const { first } = run(plan, []);
    expect(first.actions).toEqual([{ kind: 'set-weight', step: 0, weight: 10 }]);
    expect(first.next).toMatchObject({ phase: 'shifting', step: 0 });
  });

  it('a healthy canary goes through three steps, then promotes and removes the canary', () => {
    const { state, ticks, kinds } = run(plan, [
      ...passStep(0, 10),
      ...passStep(1, 25),
      ...passStep(2, 50),
      { kind: 'promoted', revision: 7, summary: 'Deployment/web rolled out' },
      { kind: 'canary-removed' },
    ]);
    // step-ready starts the step's gates; the step ends only when all of them are done.
    expect(kinds[0]).toEqual(['bake']);
    expect(kinds[1]).toEqual([]);
    expect(kinds[2]).toEqual([]);
    expect(kinds[3]).toEqual(['stop-step', 'set-weight']);
    expect(ticks[3]?.actions[1]).toEqual({ kind: 'set-weight', step: 1, weight: 25 });
    expect(ticks[3]?.transition).toContain('canary: 10% -> 25% (health ok, smoke 3/3 passed, error-rate 0.4% <= 1%)');
    expect(kinds[11]).toEqual(['stop-step', 'promote']);
    expect(kinds[12]).toEqual(['remove-canary']);
    expect(kinds[13]).toEqual(['finish']);
    expect(state).toMatchObject({ phase: 'done', result: 'promoted', promotedRevision: 7, weight: 100 });
  });

  it('the bake time alone does not end a step while a metric has not passed', () => {
    const { kinds, state } = run(plan, [
      { kind: 'step-ready', step: 0, effective: 10, summary: '' },
      { kind: 'smoke-passed', step: 0, summary: '1/1' },
      { kind: 'bake-elapsed', step: 0 },
      { kind: 'metric-measured', step: 0, metric: 'error-rate', passed: false, summary: 'error-rate: no data (1 of 3 tolerated)' },
      { kind: 'metric-measured', step: 0, metric: 'error-rate', passed: true, summary: 'error-rate 0% <= 1%' },
    ]);
    expect(kinds.slice(1, 4)).toEqual([[], [], []]);
    expect(kinds[4]).toEqual(['stop-step', 'set-weight']);
    expect(state.step).toBe(1);
  });

  it('a CrashLoopBackOff of the canary rolls back at once, stable untouched (no promote, no upgrade)', () => {
    const { state, ticks } = run(plan, [
      { kind: 'unhealthy', reason: 'Deployment/web-canary pod web-canary-1 container app: CrashLoopBackOff' },
      { kind: 'canary-removed' },
    ]);
    expect(ticks[0]?.actions).toEqual([
      { kind: 'stop-step' },
      { kind: 'roll-back', reason: 'Deployment/web-canary pod web-canary-1 container app: CrashLoopBackOff', gate: 'health' },
    ]);
    expect(state).toMatchObject({ result: 'rolled-back', failedGate: 'health', reason: expect.stringContaining('CrashLoopBackOff') });
  });

  it('a failing smoke check rolls back', () => {
    const { state, ticks } = run(plan, [
      { kind: 'step-ready', step: 0, effective: 10, summary: '' },
      { kind: 'smoke-failed', step: 0, reason: 'smoke: health: status 503 not in 2xx' },
      { kind: 'canary-removed' },
    ]);
    expect(ticks[1]?.actions.at(-1)).toEqual({ kind: 'roll-back', reason: 'smoke: health: status 503 not in 2xx', gate: 'smoke' });
    expect(state).toMatchObject({ result: 'rolled-back', failedGate: 'smoke' });
  });

  it('a metric over its limit rolls back naming the metric; one whose policy is pause pauses', () => {
    const failed = run(plan, [
      { kind: 'step-ready', step: 0, effective: 10, summary: '' },
      { kind: 'metric-tripped', step: 0, metric: 'error-rate', action: 'fail', reason: 'error-rate 20% > 1% (2 failures, limit 1)' },
    ]);
    expect(failed.ticks[1]?.actions.at(-1)).toEqual({ kind: 'roll-back', reason: 'error-rate 20% > 1% (2 failures, limit 1)', gate: 'analysis/error-rate' });
    const paused = run(plan, [
      { kind: 'step-ready', step: 0, effective: 10, summary: '' },
      { kind: 'metric-tripped', step: 0, metric: 'error-rate', action: 'pause', reason: 'error-rate: no data 4 times in a row' },
    ]);
    expect(paused.ticks[1]?.actions).toEqual([{ kind: 'stop-step' }, { kind: 'finish', result: 'paused', reason: 'error-rate: no data 4 times in a row' }]);
    expect(paused.state).toMatchObject({ phase: 'paused', result: 'paused', failedGate: 'analysis/error-rate' });
  });

  it('pause-after-step stops after that step; a later run promotes or aborts it from the journal state', () => {
    const shape = { ...plan, pauseAfterStep: 2 };
    const { state } = run(shape, [...passStep(0, 10), ...passStep(1, 25)]);
    expect(state).toMatchObject({ phase: 'paused', result: 'paused', weight: 25, step: 1 });
    // What the journal kept is all the next process has.
    const stored = JSON.parse(JSON.stringify(state)) as CanaryState;
    const promote = decideCanary(stored, { kind: 'resume', action: 'promote', by: 'run 42' });
    expect(promote.actions).toEqual([{ kind: 'stop-step' }, { kind: 'promote' }]);
    expect(promote.next).toMatchObject({ phase: 'promoting', result: undefined });
    const abort = decideCanary(stored, { kind: 'resume', action: 'abort', by: 'run 43' });
    expect(abort.actions.at(-1)).toEqual({ kind: 'roll-back', reason: 'aborted by run 43', gate: 'abort' });
  });

  it('a cancel while baking rolls back; during the rollback it changes nothing', () => {
    const { state, ticks } = run(plan, [
      { kind: 'step-ready', step: 0, effective: 10, summary: '' },
      { kind: 'cancelled', reason: 'the run was cancelled' },
      { kind: 'cancelled', reason: 'the run was cancelled' },
      { kind: 'canary-removed' },
    ]);
    expect(ticks[1]?.actions.at(-1)).toMatchObject({ kind: 'roll-back', gate: 'cancel' });
    expect(ticks[2]?.actions).toEqual([]);
    expect(state).toMatchObject({ result: 'rolled-back', cancelled: true });
  });

  it('a failed promotion that the direct strategy undid rolls the canary back; one it could not undo needs a human', () => {
    const toPromotion = [...passStep(0, 10), ...passStep(1, 25), ...passStep(2, 50)];
    const undone = run(plan, [
      ...toPromotion,
      { kind: 'promotion-failed', reason: 'Deployment/web: CrashLoopBackOff', stableRestored: true },
      { kind: 'canary-removed' },
    ]);
    expect(undone.state).toMatchObject({ result: 'rolled-back', failedGate: 'promotion' });
    const stuck = run(plan, [...toPromotion, { kind: 'promotion-failed', reason: 'rollback failed', stableRestored: false }]);
    expect(stuck.state).toMatchObject({ result: 'needs-human', failedGate: 'promotion' });
  });

  it('results of an ended step are ignored, not acted on', () => {
    const { ticks, state } = run(plan, [
      ...passStep(0, 10),
      { kind: 'metric-tripped', step: 0, metric: 'error-rate', action: 'fail', reason: 'late' },
      { kind: 'smoke-failed', step: 0, reason: 'late' },
    ]);
    expect(ticks[4]?.actions).toEqual([]);
    expect(ticks[5]?.actions).toEqual([]);
    expect(state).toMatchObject({ phase: 'shifting', step: 1 });
  });

  it('a removal that fails after a rollback needs a human, naming both', () => {
    const { state } = run(plan, [
      { kind: 'unhealthy', reason: 'ImagePullBackOff' },
      { kind: 'cleanup-failed', reason: 'the API server is unreachable' },
    ]);
    expect(state).toMatchObject({ result: 'needs-human', reason: 'ImagePullBackOff; then its removal failed: the API server is unreachable' });
  });

  it('an observation no phase expects is a bug that still ends in a known state (rolled back)', () => {
    const { ticks } = run(plan, [{ kind: 'promoted', revision: 3, summary: '' }]);
    expect(ticks[0]?.actions.at(-1)).toMatchObject({ kind: 'roll-back', gate: 'internal' });
  });
});

import { describe, expect, it } from 'vitest';
import { decide, initialDeployState, type DeployObservation, type DeployState } from '@slipway/core';

/** Feeds observations one tick at a time and keeps every decision, as the executor does. */
function run(fromRevision: number | undefined, observations: DeployObservation[]) {
  let state: DeployState = initialDeployState(fromRevision);
  const ticks = observations.map((observation) => {
    const decision = decide(state, observation);
    state = decision.next;
    return decision;
  });
  return { state, ticks };
}

describe('the direct deploy state machine, tick by tick', () => {
  it('deploys: applied, then verified healthy', () => {
    const { state, ticks } = run(3, [
      { kind: 'upgrade-applied', revision: 4 },
      { kind: 'healthy', summary: 'Deployment/web rolled out' },
    ]);
    expect(ticks[0]?.actions).toEqual([{ kind: 'verify', revision: 4 }]);
    expect(ticks[1]?.actions).toEqual([{ kind: 'finish', result: 'deployed', reason: undefined }]);
    expect(state).toMatchObject({ phase: 'done', result: 'deployed', deployedRevision: 4 });
  });

  it('rolls back an unhealthy revision, marking it bad and excluding it', () => {
    const { state, ticks } = run(3, [
      { kind: 'upgrade-applied', revision: 4 },
      { kind: 'unhealthy', reason: 'Deployment/web pod web-1 container app: CrashLoopBackOff' },
      { kind: 'rolled-back', to: 2 },
    ]);
    expect(ticks[1]?.actions).toEqual([
      { kind: 'mark-bad', revision: 4 },
      { kind: 'roll-back', reason: 'Deployment/web pod web-1 container app: CrashLoopBackOff', exclude: [4], uninstallIfNone: false },
    ]);
    expect(state).toMatchObject({ result: 'rolled-back', rolledBackTo: 2, reason: expect.stringContaining('CrashLoopBackOff') });
  });

  it('uninstalls a first install that fails (there is nothing to go back to)', () => {
    const { state, ticks } = run(undefined, [
      { kind: 'upgrade-applied', revision: 1 },
      { kind: 'unhealthy', reason: 'ImagePullBackOff' },
      { kind: 'uninstalled' },
    ]);
    expect(ticks[1]?.actions.at(-1)).toMatchObject({ kind: 'roll-back', uninstallIfNone: true });
    expect(state.result).toBe('rolled-back');
  });

  it('a failed upgrade that made no revision changed nothing: not-deployed, no rollback', () => {
    const { state, ticks } = run(3, [{ kind: 'upgrade-failed', reason: 'admission webhook denied', revision: 3 }]);
    expect(ticks[0]?.actions).toEqual([{ kind: 'finish', result: 'not-deployed', reason: 'admission webhook denied' }]);
    expect(state.result).toBe('not-deployed');
  });

  it('a failed upgrade that left a failed revision is rolled back', () => {
    const { ticks } = run(3, [{ kind: 'upgrade-failed', reason: 'hook Job/migrate: BackoffLimitExceeded', revision: 4 }]);
    expect(ticks[0]?.actions.map((action) => action.kind)).toEqual(['mark-bad', 'roll-back']);
  });

  it('a cancel during the upgrade rolls back the revision Helm still applied', () => {
    const { state, ticks } = run(3, [
      { kind: 'cancelled', reason: 'received SIGTERM' },
      { kind: 'upgrade-applied', revision: 4 },
      { kind: 'rolled-back', to: 3 },
    ]);
    expect(ticks[0]?.actions).toEqual([]);
    expect(ticks[1]?.actions.at(-1)).toMatchObject({ kind: 'roll-back', exclude: [4] });
    expect(state).toMatchObject({ result: 'rolled-back', cancelled: true });
  });

  it('a cancel while verifying rolls back at once, and a second cancel does not stop the rollback', () => {
    const { state, ticks } = run(3, [
      { kind: 'upgrade-applied', revision: 4 },
      { kind: 'cancelled', reason: 'received SIGINT' },
      { kind: 'cancelled', reason: 'received SIGTERM' },
      { kind: 'rolled-back', to: 3 },
    ]);
    expect(ticks[1]?.actions.at(-1)).toMatchObject({ kind: 'roll-back', reason: 'received SIGINT' });
    expect(ticks[2]?.actions).toEqual([]);
    expect(state.result).toBe('rolled-back');
  });

  it('a healthy verdict after a cancel still rolls back: a cancelled run never ends deployed', () => {
    let state = decide(initialDeployState(3), { kind: 'cancelled', reason: 'received SIGTERM' }).next;
    state = { ...state, phase: 'verifying', deployedRevision: 4 };
    const decision = decide(state, { kind: 'healthy', summary: 'ok' });
    expect(decision.actions.at(-1)).toMatchObject({ kind: 'roll-back' });
  });

  it('a rollback that fails ends needing a human, with both reasons', () => {
    const { state } = run(3, [
      { kind: 'upgrade-applied', revision: 4 },
      { kind: 'unhealthy', reason: 'OOMKilled' },
      { kind: 'rollback-failed', reason: 'no good revision' },
    ]);
    expect(state.result).toBe('needs-human');
    expect(state.reason).toBe('OOMKilled; then the rollback failed: no good revision');
  });

  it('an observation a phase does not expect is reported, not ignored', () => {
    const decision = decide(initialDeployState(1), { kind: 'rolled-back', to: 1 });
    expect(decision.next.result).toBe('needs-human');
    expect(decision.transition).toContain('unexpected rolled-back while upgrading');
  });

  it('nothing happens after the end', () => {
    const { state } = run(1, [
      { kind: 'upgrade-applied', revision: 2 },
      { kind: 'healthy', summary: 'ok' },
    ]);
    expect(decide(state, { kind: 'unhealthy', reason: 'late' }).actions).toEqual([]);
  });
});

import type { StepDeps } from '../steps/framework/step-deps.ts';
import type { ReleaseTarget } from './release-target.ts';

/** The state key under which deploy and rollback leave their post phase what to check. */
export const releaseStateKey = 'release';

/** What the post phase needs to find this run's journal and finish its rollback: no secret (a kubeconfig path, never its content). */
export interface ReleaseState {
  target: ReleaseTarget;
  runId: string;
  timeoutMs: number;
  maxRestarts: number;
}

export function saveReleaseState(deps: Pick<StepDeps, 'state'>, state: ReleaseState): void {
  deps.state.save(releaseStateKey, JSON.stringify(state));
}

/** The saved state, or undefined when the main phase never got as far as locking the release. */
export function readReleaseState(deps: Pick<StepDeps, 'state'>): ReleaseState | undefined {
  const text = deps.state.get(releaseStateKey);
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ReleaseState>;
    if (typeof value.runId !== 'string' || typeof value.target?.release !== 'string' || typeof value.target.kubeconfig !== 'string') return undefined;
    return { target: value.target, runId: value.runId, timeoutMs: value.timeoutMs ?? 300_000, maxRestarts: value.maxRestarts ?? 2 };
  } catch {
    return undefined;
  }
}

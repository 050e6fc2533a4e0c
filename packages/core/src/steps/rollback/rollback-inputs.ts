import type { ReleaseTarget } from '../../deploy/release-target.ts';

/** The validated inputs of rollback. */
export interface RollbackInputs {
  target: ReleaseTarget;
  revision: number | undefined;
  timeoutMs: number;
  maxRestarts: number;
}

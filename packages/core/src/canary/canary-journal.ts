import type { CanaryState } from './canary-machine.ts';

/** An object Slipway created for a canary, for a total cleanup. */
export interface CanaryObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The canary's part of the release journal: enough for the post phase, a later `action: promote` or
 * `abort`, or the next deploy to finish or undo it without the run that started it.
 */
export interface CanaryJournal {
  /** `replicas`, `ingress-nginx` or `gateway-api`. */
  provider: string;
  /** The machine's state at the last transition. */
  state: CanaryState;
  /** Every object the canary created. */
  objects: CanaryObjectRef[];
  /** The canary's workloads (their health is watched), as `Kind/name`. */
  workloads: string[];
  /** The router's snapshot: what to restore (the HTTPRoute's original rules...). */
  router: unknown;
  /** sha256 of the chart rendered with the new values: `action: promote` refuses another chart or other values. */
  manifestDigest: string;
  /** The image the canary runs, when one was given. */
  image?: string | undefined;
  /** The newest gate results (at most 50). */
  gates: Array<{ at: string; step: number; weight: number; gate: string; passed: boolean; detail: string }>;
}

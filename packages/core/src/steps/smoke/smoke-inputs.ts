import type { SmokeCheck } from '../../smoke/smoke-check.ts';

/** The validated inputs of smoke. */
export interface SmokeInputs {
  /** The `url` shorthand's check first, then the `checks` list's. */
  checks: SmokeCheck[];
  deadlineMs: number;
  /** The release to `helm test`, when helm-test is true. */
  helmTest: { release: string } | undefined;
  /** The cluster, when a check targets a Service or helm-test is on; undefined otherwise (no kubeconfig read). */
  cluster: { namespace: string; kubeconfig: string; kubeContext: string | undefined } | undefined;
}

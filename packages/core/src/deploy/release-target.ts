/** Which release, in which cluster: what deploy, rollback and their post phases all need. */
export interface ReleaseTarget {
  release: string;
  namespace: string;
  /** An absolute path to a kubeconfig file. */
  kubeconfig: string;
  /** A context other than the kubeconfig's current one. */
  kubeContext: string | undefined;
  /** How long to wait for another run's Lease on the release. */
  lockWaitMs: number;
}

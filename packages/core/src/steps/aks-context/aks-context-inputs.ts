import type { AksClusterRef } from '../../azure/aks-cluster-ref.ts';
import type { AzureAuth } from '../../azure/azure-auth.ts';

/** How an Entra ID cluster's kubeconfig gets its tokens. */
export type KubeAuthMode = 'slipway' | 'kubelogin' | 'none';

/** The validated inputs of aks-context. */
export interface AksContextInputs {
  cluster: AksClusterRef;
  admin: boolean;
  publicFqdn: boolean;
  /** The namespace to select (a DNS-1123 label); undefined keeps the kubeconfig's. */
  namespace: string | undefined;
  kubeAuth: KubeAuthMode;
  /**
   * kube-auth kubelogin: kubelogin as found on PATH at validation (undefined when it is not there: exit 3
   * at run), and the login that repeats auth `environment` (workload identity when a federated token file is set).
   */
  kubelogin: { path: string | undefined; environmentLogin: 'workloadidentity' | 'spn' } | undefined;
  auth: AzureAuth;
  /** The ARM endpoint to call (the cloud's, or arm-endpoint). */
  armEndpoint: string;
  /** Per request of the reachability check. */
  timeoutMs: number;
  /** CLI: keep the kubeconfig after exit (no cleanup state is saved). */
  keepKubeconfig: boolean;
}

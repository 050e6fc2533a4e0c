import { azureAuthInputs } from '../../azure/azure-auth-inputs.ts';
import type { StepSpec } from '../../inputs/index.ts';

/** Inputs and outputs of `aks-context`. */
export const aksContextSpec = {
  id: 'aks-context',
  title: 'Slipway AKS context',
  description:
    'A working kubeconfig for an AKS cluster, Entra ID clusters included, with nothing to install: fetched through ARM with the shared Azure sign-in, written to a 0600 file that later steps use through KUBECONFIG, checked against the API server, and removed when the job ends.',
  taskName: 'SlipwayAksContextV1',
  taskId: 'df0dd8e8-f216-4fb3-b7ff-3452882a031a',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'anchor', color: 'blue' },
  postPhase: true,
  kubeTokenPlugin: true,
  groups: [
    { name: 'cluster', displayName: 'Cluster', isExpanded: true },
    { name: 'azure', displayName: 'Azure sign-in', isExpanded: true },
    { name: 'kubeconfig', displayName: 'Kubeconfig', isExpanded: false },
    { name: 'advanced', displayName: 'Advanced', isExpanded: false },
  ],
  inputs: [
    { name: 'subscription-id', type: 'string', group: 'cluster', description: "The cluster's subscription id (or give resource-id)." },
    { name: 'resource-group', type: 'string', group: 'cluster', description: "The cluster's resource group (or give resource-id)." },
    { name: 'cluster-name', type: 'string', group: 'cluster', description: 'The AKS cluster name (or give resource-id).' },
    {
      name: 'resource-id',
      type: 'string',
      group: 'cluster',
      description: "The cluster's resource ID, instead of subscription-id, resource-group and cluster-name.",
      example: '/subscriptions/<id>/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1',
    },
    {
      name: 'admin',
      type: 'boolean',
      group: 'cluster',
      default: 'false',
      description:
        "Fetch the cluster's local admin credentials (listClusterAdminCredential; needs the Cluster Admin role, and local accounts enabled) instead of the user credentials.",
    },
    {
      name: 'namespace',
      type: 'string',
      group: 'cluster',
      description: "Namespace to select in the kubeconfig's context; the check then also lists pods there (what a deploy needs).",
    },
    {
      name: 'public-fqdn',
      type: 'boolean',
      group: 'cluster',
      default: 'false',
      description: "The kubeconfig with the cluster's public FQDN (server-fqdn=public), for a private cluster that has one.",
    },
    ...azureAuthInputs,
    {
      name: 'kube-auth',
      type: 'enum',
      group: 'kubeconfig',
      default: 'slipway',
      allowed: ['slipway', 'kubelogin', 'none'],
      description:
        "How an Entra ID cluster's kubeconfig gets tokens. slipway: Slipway's own credential plugin, with the sign-in above (nothing to install). kubelogin: kubelogin (which must be on PATH), set to a non-interactive login matching the sign-in. none: the kubeconfig as ARM returned it.",
    },
    {
      name: 'timeout',
      type: 'duration',
      group: 'kubeconfig',
      default: '30s',
      max: 600_000,
      description: 'How long each request of the reachability check may take (the API server /version, who-am-I, pods in namespace).',
    },
    {
      name: 'keep-kubeconfig',
      type: 'boolean',
      group: 'kubeconfig',
      default: 'false',
      hosts: ['cli'],
      description:
        'Keep the kubeconfig (and its token cache) after slipway exits, and print `export KUBECONFIG=…`. Without it the CLI removes them when it exits, as the post phase does at the end of a CI job. Remove the directory yourself when done.',
    },
    {
      name: 'arm-endpoint',
      type: 'string',
      group: 'advanced',
      description: "Azure Resource Manager URL, overriding the cloud's (Azure Stack Hub, a private ARM endpoint).",
      example: 'https://management.azure.com',
    },
  ],
  outputs: [
    {
      name: 'kubeconfig',
      description: 'Path of the kubeconfig (a 0600 file in the job temp directory, removed when the job ends); also exported as KUBECONFIG.',
    },
    { name: 'server', description: 'The API server URL.' },
    { name: 'kubernetes-version', description: 'The API server version (/version gitVersion), e.g. v1.31.2.' },
    { name: 'context', description: "The kubeconfig's current context name." },
    { name: 'user', description: 'The user name the API server authenticated (SelfSubjectReview).' },
    { name: 'groups', description: 'JSON array of the groups the API server authenticated.' },
  ],
} as const satisfies StepSpec;

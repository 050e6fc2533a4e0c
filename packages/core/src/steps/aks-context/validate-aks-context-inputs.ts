import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { clusterNameProblem, parseAksResourceId, resourceGroupProblem, subscriptionIdProblem, type AksClusterRef } from '../../azure/aks-cluster-ref.ts';
import { validateAzureAuth } from '../../azure/azure-auth-inputs.ts';
import type { AzureAuth } from '../../azure/azure-auth.ts';
import type { InputValues } from '../../inputs/index.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { AksContextInputs } from './aks-context-inputs.ts';
import type { aksContextSpec } from './aks-context-spec.ts';

export type AksContextInputValues = InputValues<typeof aksContextSpec.inputs>;

// Kubernetes namespace names are DNS-1123 labels (k8s.io/apimachinery validation.IsDNS1123Label).
const dns1123Label = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Checks every aks-context input before any sign-in or request, recording each problem: which cluster
 * (resource-id, or subscription-id + resource-group + cluster-name), the namespace, the ARM endpoint,
 * the sign-in, and whether kube-auth kubelogin can repeat that sign-in.
 */
export function validateAksContextInputs(values: AksContextInputValues, context: ValidationContext): AksContextInputs {
  const problems = context.problems;
  const cluster = resolveCluster(values, context);
  if (values.namespace !== undefined && !dns1123Label.test(values.namespace)) {
    problems.add(
      'namespace',
      `'${values.namespace}' is not a Kubernetes namespace name (a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`,
    );
  }
  const auth = validateAzureAuth(values, context, { signIn: true });
  const armEndpoint = armEndpointOf(values, context) ?? auth.cloud.resourceManager;
  const kubelogin = values.kubeAuth === 'kubelogin' ? checkKubelogin(values, auth, context) : undefined;
  return {
    cluster,
    admin: values.admin,
    publicFqdn: values.publicFqdn,
    namespace: values.namespace,
    kubeAuth: values.kubeAuth,
    kubelogin,
    auth,
    armEndpoint,
    timeoutMs: values.timeout,
    keepKubeconfig: values.keepKubeconfig,
  };
}

/** The cluster from resource-id, or from its three parts; never both, so that no input is silently ignored. */
function resolveCluster(values: AksContextInputValues, context: ValidationContext): AksClusterRef {
  const problems = context.problems;
  const parts = { 'subscription-id': values.subscriptionId, 'resource-group': values.resourceGroup, 'cluster-name': values.clusterName } as const;
  const given = (Object.keys(parts) as Array<keyof typeof parts>).filter((name) => parts[name] !== undefined);
  if (values.resourceId !== undefined) {
    if (given.length > 0) problems.add('resource-id', `give either resource-id or ${given.join(', ')}, not both`);
    const parsed = parseAksResourceId(values.resourceId);
    if ('problems' in parsed) {
      for (const problem of parsed.problems) problems.add('resource-id', problem);
      return { subscriptionId: '', resourceGroup: '', clusterName: '' };
    }
    return parsed.cluster;
  }
  const check = (input: keyof typeof parts, problemOf: (value: string) => string | undefined) => {
    const value = parts[input];
    if (value === undefined) {
      if (!problems.has(input)) problems.add(input, 'is required (or give resource-id)');
      return '';
    }
    const problem = problemOf(value);
    if (problem) problems.add(input, problem);
    return value;
  };
  return {
    subscriptionId: check('subscription-id', subscriptionIdProblem),
    resourceGroup: check('resource-group', resourceGroupProblem),
    clusterName: check('cluster-name', clusterNameProblem),
  };
}

/** arm-endpoint as a normalised https URL (never the raw text), or undefined when not given or refused. */
function armEndpointOf(values: AksContextInputValues, context: ValidationContext): string | undefined {
  if (values.armEndpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(values.armEndpoint);
  } catch {
    context.problems.add('arm-endpoint', `'${values.armEndpoint}' is not a URL`);
    return undefined;
  }
  if (url.protocol !== 'https:') context.problems.add('arm-endpoint', 'must be an https:// URL');
  else if (url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    context.problems.add('arm-endpoint', 'must be a plain https:// URL of a host, without a path, credentials, query or fragment');
  } else return url.origin;
  return undefined;
}

/**
 * kube-auth kubelogin: the sign-in must be one kubelogin can repeat without a prompt in a later step, and
 * kubelogin must be on PATH (its absence is exit 3 at run, a missing tool, but found here).
 */
function checkKubelogin(values: AksContextInputValues, auth: AzureAuth, context: ValidationContext): AksContextInputs['kubelogin'] {
  const chainOnly = auth.method === 'auto' && !auth.clientSecret && !auth.certificatePath && !(context.federatedTokens && auth.tenantId && auth.clientId);
  if (chainOnly && !values.admin) {
    context.problems.add(
      'kube-auth',
      'kubelogin cannot repeat the default credential chain: choose auth (client-secret, client-certificate, managed-identity, azure-cli, oidc or environment), or use kube-auth slipway',
    );
  }
  return { path: findOnPath('kubelogin', context.env.PATH), environmentLogin: context.env.AZURE_FEDERATED_TOKEN_FILE ? 'workloadidentity' : 'spn' };
}

/** The first executable file called `name` on PATH (reading the file system only). */
export function findOnPath(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** An AKS managed cluster as ARM addresses it. */
export interface AksClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
}

const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// ARM's resource group rule: 1-90 letters (Unicode too), digits, `_`, `(`, `)`, `-` and `.`, not ending in `.`.
const resourceGroupName = /^[\p{L}\p{N}_().-]{1,90}$/u;
// The AKS resource name rule (the one az aks create enforces): 1-63 ASCII letters, digits, `-` and `_`, starting and ending alphanumeric.
const clusterName = /^[a-zA-Z0-9](?:[-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

/** Why `value` is not a subscription id, or undefined when it is one. */
export function subscriptionIdProblem(value: string): string | undefined {
  return guid.test(value) ? undefined : `'${value}' is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)`;
}

/** Why `value` is not a resource group name, or undefined when it is one. */
export function resourceGroupProblem(value: string): string | undefined {
  if (!resourceGroupName.test(value)) {
    return `'${value}' is not a resource group name (1-90 letters, digits, '_', '(', ')', '-' or '.')`;
  }
  return value.endsWith('.') ? `'${value}' ends with '.', which Azure does not allow in a resource group name` : undefined;
}

/** Why `value` is not an AKS cluster name, or undefined when it is one. */
export function clusterNameProblem(value: string): string | undefined {
  return clusterName.test(value)
    ? undefined
    : `'${value}' is not an AKS cluster name (1-63 letters, digits, '-' or '_', starting and ending with a letter or digit)`;
}

const resourceIdForm = '/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>';

/**
 * Parses an AKS cluster resource ID (as the portal's JSON view and `az aks show --query id` print it).
 * The fixed segments match in any case, as ARM matches them; every problem found is returned, worded
 * for the `resource-id` input.
 */
export function parseAksResourceId(value: string): { cluster: AksClusterRef } | { problems: string[] } {
  const parts = value.split('/');
  const [empty, subscriptions, subscriptionId, resourceGroups, resourceGroup, providers, namespace, type, name, ...rest] = parts;
  const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
  if (same(namespace, 'Microsoft.ContainerService') && same(type, 'fleets')) {
    return { problems: ['names an AKS fleet; give the resource ID of one of its member clusters (…/managedClusters/<name>)'] };
  }
  const shaped =
    empty === '' &&
    same(subscriptions, 'subscriptions') &&
    same(resourceGroups, 'resourceGroups') &&
    same(providers, 'providers') &&
    same(namespace, 'Microsoft.ContainerService') &&
    same(type, 'managedClusters') &&
    subscriptionId &&
    resourceGroup &&
    name &&
    rest.length === 0;
  if (!shaped) return { problems: [`'${value}' is not an AKS cluster resource ID (${resourceIdForm})`] };
  const problems = [subscriptionIdProblem(subscriptionId), resourceGroupProblem(resourceGroup), clusterNameProblem(name)].filter(
    (problem): problem is string => problem !== undefined,
  );
  if (problems.length > 0) return { problems };
  return { cluster: { subscriptionId, resourceGroup, clusterName: name } };
}

/** The cluster's resource ID, with ARM's canonical casing of the fixed segments. */
export function formatAksResourceId(cluster: AksClusterRef): string {
  return `/subscriptions/${cluster.subscriptionId}/resourceGroups/${cluster.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster.clusterName}`;
}

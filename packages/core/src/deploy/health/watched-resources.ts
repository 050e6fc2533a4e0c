import type * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '../../k8s/kube-api.ts';
import type { WorkloadKind } from './rendered-workloads.ts';

/** What the health watch lists and watches: pods, the workload kinds, and ReplicaSets (to tell a Deployment's revisions apart). */
export type ResourceKind = WorkloadKind | 'Pod' | 'ReplicaSet';

interface ObjectList {
  metadata?: { resourceVersion?: string };
  items: unknown[];
}

/** How to list, watch and read one kind in a namespace through the typed clients and the watch API. */
export interface ResourceType {
  plural: string;
  path(namespace: string): string;
  list(clients: KubeClients, namespace: string, options: k8s.ConfigurationOptions): Promise<ObjectList>;
  read?(clients: KubeClients, name: string, namespace: string, options: k8s.ConfigurationOptions): Promise<unknown>;
}

const ns = (namespace: string) => encodeURIComponent(namespace);

export const resourceTypes: Record<ResourceKind, ResourceType> = {
  Pod: {
    plural: 'pods',
    path: (namespace) => `/api/v1/namespaces/${ns(namespace)}/pods`,
    list: (c, namespace, o) => c.core.listNamespacedPod({ namespace }, o),
  },
  ReplicaSet: {
    plural: 'replicasets',
    path: (namespace) => `/apis/apps/v1/namespaces/${ns(namespace)}/replicasets`,
    list: (c, namespace, o) => c.apps.listNamespacedReplicaSet({ namespace }, o),
  },
  Deployment: {
    plural: 'deployments',
    path: (namespace) => `/apis/apps/v1/namespaces/${ns(namespace)}/deployments`,
    list: (c, namespace, o) => c.apps.listNamespacedDeployment({ namespace }, o),
    read: (c, name, namespace, o) => c.apps.readNamespacedDeployment({ name, namespace }, o),
  },
  StatefulSet: {
    plural: 'statefulsets',
    path: (namespace) => `/apis/apps/v1/namespaces/${ns(namespace)}/statefulsets`,
    list: (c, namespace, o) => c.apps.listNamespacedStatefulSet({ namespace }, o),
    read: (c, name, namespace, o) => c.apps.readNamespacedStatefulSet({ name, namespace }, o),
  },
  DaemonSet: {
    plural: 'daemonsets',
    path: (namespace) => `/apis/apps/v1/namespaces/${ns(namespace)}/daemonsets`,
    list: (c, namespace, o) => c.apps.listNamespacedDaemonSet({ namespace }, o),
    read: (c, name, namespace, o) => c.apps.readNamespacedDaemonSet({ name, namespace }, o),
  },
  Job: {
    plural: 'jobs',
    path: (namespace) => `/apis/batch/v1/namespaces/${ns(namespace)}/jobs`,
    list: (c, namespace, o) => c.batch.listNamespacedJob({ namespace }, o),
    read: (c, name, namespace, o) => c.batch.readNamespacedJob({ name, namespace }, o),
  },
};

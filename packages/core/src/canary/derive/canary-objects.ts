import { sleep } from '../../concurrency/sleep.ts';
import { InternalError } from '../../errors/index.ts';
import { KubeApiError } from '../../k8s/kube-api-error.ts';
import type { CanaryObjectRef } from '../canary-journal.ts';
import { CanaryNameTakenError, describeObjectRef } from './canary-errors.ts';
import { canaryLabelSelector, canaryOfLabel, isCanaryObjectOf, trackLabel } from './canary-labels.ts';
import { type CanaryPlan, type CanaryWorkload, refOf } from './derive-canary.ts';
import {
  type CanaryKubeApi,
  canaryKinds,
  deleteObject,
  isFailedTest,
  type KubeJson,
  listObjects,
  patchObject,
  pointer,
  readObject,
  sameJson,
} from './kube-object-client.ts';

/** Canary replicas by stable workload name (`CanaryWorkload.stable`). */
export type CanaryReplicaCounts = Record<string, number>;

/** The part of a plan scaling needs (a later process has it from the journal). */
export type CanaryScaleTarget = Pick<CanaryPlan, 'release'> & { workloads: readonly Pick<CanaryWorkload, 'kind' | 'stable' | 'canary' | 'namespace'>[] };

/**
 * Creates (or updates) the canary objects of `plan` by server-side apply (field manager `slipway`,
 * forced), ConfigMaps and Secrets first, then Services, then workloads with `replicas` canary pods each
 * (0 for a workload not named). Before anything changes, every name is read: if an object with a
 * canary's name exists that is not Slipway's canary of this release, nothing is applied and a
 * CanaryNameTakenError names them all.
 */
export async function applyCanary(api: CanaryKubeApi, plan: CanaryPlan, replicas: CanaryReplicaCounts, signal?: AbortSignal): Promise<CanaryObjectRef[]> {
  checkReplicaKeys(plan, replicas);
  const existing = await Promise.all(plan.objects.map(async (object) => ({ object, live: await readObject(api, refOf(object), signal) })));
  const taken = existing.filter(({ live }) => live && !isCanaryObjectOf(live.metadata?.labels, plan.release)).map(({ object }) => refOf(object));
  if (taken.length > 0) throw new CanaryNameTakenError(taken, plan.release);

  // A canary left by a run with another provider has another selector, which Kubernetes does not let change.
  const reselected = existing.filter(
    ({ object, live }) =>
      live && (object.kind === 'Deployment' || object.kind === 'StatefulSet') && !sameJson(live.spec?.selector, (object.spec as KubeJson).selector),
  );
  await Promise.all(
    reselected.map(async ({ object, live }) => {
      await deleteObject(api, refOf(object), { propagationPolicy: 'Foreground', uid: live?.metadata?.uid, signal });
      await waitUntilDeleted(api, refOf(object), signal);
    }),
  );

  const replicasOf = new Map(plan.workloads.map((w) => [`${w.kind}/${w.namespace}/${w.canary}`, replicas[w.stable] ?? 0]));
  const applied: CanaryObjectRef[] = [];
  for (const stage of [['ConfigMap', 'Secret'], ['Service'], ['Deployment', 'StatefulSet']]) {
    const objects = plan.objects.filter((object) => stage.includes(object.kind));
    await Promise.all(
      objects.map(async (object) => {
        const count = replicasOf.get(`${object.kind}/${object.metadata.namespace}/${object.metadata.name}`);
        const body = count === undefined ? object : { ...object, spec: { ...(object.spec as object), replicas: count } };
        await patchObject(api, refOf(object), 'application/apply-patch+yaml', body, signal);
        applied.push(refOf(object));
      }),
    );
  }
  return applied;
}

/**
 * Sets the replicas of canary workloads (those named in `replicas`, by stable name), each with a JSON
 * patch that first tests the `slipway.dev/canary-of` label, so that an object that is not the release's
 * canary is never scaled (CanaryNameTakenError). A missing canary is a KubeApiError with status 404.
 */
export async function scaleCanary(api: CanaryKubeApi, target: CanaryScaleTarget, replicas: CanaryReplicaCounts, signal?: AbortSignal): Promise<void> {
  checkReplicaKeys(target, replicas);
  await Promise.all(
    target.workloads
      .filter((workload) => replicas[workload.stable] !== undefined)
      .map(async (workload) => {
        const ref = workloadRef(workload);
        const patch = [
          { op: 'test', path: `/metadata/labels/${pointer(canaryOfLabel)}`, value: target.release },
          { op: 'replace', path: '/spec/replicas', value: replicas[workload.stable] },
        ];
        try {
          await patchObject(api, ref, 'application/json-patch+json', patch, signal);
        } catch (error) {
          if (isFailedTest(error)) throw new CanaryNameTakenError([ref], target.release);
          throw error;
        }
      }),
  );
}

export interface RemoveCanaryTarget {
  namespace: string;
  release: string;
  /** What the journal recorded (`plan.refs`, a canary Ingress); may be stale or empty: the sweep finds the rest. */
  refs: readonly CanaryObjectRef[];
}

export interface RemoveCanaryOptions {
  signal?: AbortSignal;
  /** How long to wait for the objects and their pods to be gone (0, the default: do not wait). */
  waitMs?: number;
}

export interface RemoveCanaryResult {
  deleted: CanaryObjectRef[];
  /** Recorded objects that were gone already. */
  alreadyGone: CanaryObjectRef[];
  /** Recorded objects that exist but are not Slipway's canary of the release: left as they are. */
  refused: { ref: CanaryObjectRef; reason: string }[];
  /** After `waitMs`: what still existed (objects, and pods as `Pod/<name>`); empty when all went. */
  remaining: CanaryObjectRef[];
}

/**
 * Removes a release's canary: the recorded `refs` (workloads first, Foreground propagation so that their
 * ReplicaSets and pods go with them), then a sweep of every object of the kinds a canary is made of
 * labelled `app.kubernetes.io/managed-by=slipway,slipway.dev/canary-of=<release>,slipway.dev/track=canary`
 * (so nothing is left even when the journal is stale). An object that is already gone counts as removed.
 * A recorded object without Slipway's canary labels for this release is never deleted: it is listed in
 * `refused`. Deletes carry the checked object's uid as a precondition, so an object replaced between
 * the check and the delete is not deleted.
 */
export async function removeCanary(api: CanaryKubeApi, target: RemoveCanaryTarget, options: RemoveCanaryOptions = {}): Promise<RemoveCanaryResult> {
  const { signal } = options;
  const result: RemoveCanaryResult = { deleted: [], alreadyGone: [], refused: [], remaining: [] };
  const done = new Set<string>();
  const order = (ref: CanaryObjectRef) => (ref.kind === 'Deployment' || ref.kind === 'StatefulSet' ? 0 : ref.kind === 'Ingress' ? 1 : 2);
  const recorded = [...target.refs].sort((a, b) => order(a) - order(b));
  for (const ref of recorded) {
    const id = refId(ref);
    if (done.has(id)) continue;
    done.add(id);
    const live = await readObject(api, ref, signal);
    if (!live) {
      result.alreadyGone.push(ref);
      continue;
    }
    if (!isCanaryObjectOf(live.metadata?.labels, target.release)) {
      result.refused.push({
        ref,
        reason: `${describeObjectRef(ref)} is not Slipway's canary of release '${target.release}' (no matching labels): left as it is`,
      });
      continue;
    }
    const outcome = await deleteObject(api, ref, { propagationPolicy: propagationOf(ref), uid: live.metadata?.uid, signal });
    (outcome === 'deleted' ? result.deleted : result.alreadyGone).push(ref);
  }

  const namespaces = [...new Set([target.namespace, ...target.refs.map((ref) => ref.namespace)])];
  const selector = canaryLabelSelector(target.release);
  for (const namespace of namespaces) {
    for (const kind of canaryKinds) {
      for (const item of await listObjects(api, kind, namespace, selector, signal)) {
        const ref = { ...kind, namespace, name: String(item.metadata?.name) };
        if (done.has(refId(ref)) || item.metadata?.deletionTimestamp) continue;
        done.add(refId(ref));
        // The selector matched, but a label check here costs nothing and guards the rule that matters most.
        if (!isCanaryObjectOf(item.metadata?.labels, target.release)) continue;
        const outcome = await deleteObject(api, ref, { propagationPolicy: propagationOf(ref), uid: item.metadata?.uid, signal });
        if (outcome === 'deleted') result.deleted.push(ref);
      }
    }
  }

  if ((options.waitMs ?? 0) > 0) result.remaining = await waitUntilGone(api, target, namespaces, options.waitMs ?? 0, signal);
  return result;
}

/** What still exists of a canary: objects by label, and canary pods (which carry canary-of and track, maybe not managed-by). */
export async function listCanaryLeftovers(api: CanaryKubeApi, release: string, namespace: string, signal?: AbortSignal): Promise<CanaryObjectRef[]> {
  const left: CanaryObjectRef[] = [];
  for (const kind of canaryKinds) {
    for (const item of await listObjects(api, kind, namespace, canaryLabelSelector(release), signal))
      left.push({ ...kind, namespace, name: String(item.metadata?.name) });
  }
  const pods = await listObjects(api, { apiVersion: 'v1', kind: 'Pod' }, namespace, `${canaryOfLabel}=${release},${trackLabel}=canary`, signal);
  for (const pod of pods) left.push({ apiVersion: 'v1', kind: 'Pod', namespace, name: String(pod.metadata?.name) });
  return left;
}

async function waitUntilGone(
  api: CanaryKubeApi,
  target: RemoveCanaryTarget,
  namespaces: string[],
  waitMs: number,
  signal?: AbortSignal,
): Promise<CanaryObjectRef[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = (await Promise.all(namespaces.map((ns) => listCanaryLeftovers(api, target.release, ns, signal)))).flat();
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(Math.min(250, Math.max(0, deadline - Date.now())), signal);
  }
}

async function waitUntilDeleted(api: CanaryKubeApi, ref: CanaryObjectRef, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (await readObject(api, ref, signal)) {
    if (Date.now() >= deadline) {
      throw new KubeApiError('timeout', `${describeObjectRef(ref)} was still being deleted after 60 s`, {
        hint: 'its pods may be stuck terminating: look at them (kubectl get pods -l slipway.dev/track=canary), then run again',
      });
    }
    await sleep(250, signal);
  }
}

function propagationOf(ref: CanaryObjectRef): 'Foreground' | 'Background' {
  // Foreground for workloads: the Deployment stays (with a deletionTimestamp) until its pods are gone, so "gone" means gone.
  return ref.kind === 'Deployment' || ref.kind === 'StatefulSet' ? 'Foreground' : 'Background';
}

function checkReplicaKeys(target: Pick<CanaryScaleTarget, 'workloads'>, replicas: CanaryReplicaCounts): void {
  const known = new Set(target.workloads.map((w) => w.stable));
  for (const [name, count] of Object.entries(replicas)) {
    if (!known.has(name)) throw new InternalError(`canary replicas for '${name}', which is not a canaried workload (${[...known].join(', ')})`);
    if (!Number.isInteger(count) || count < 0) throw new InternalError(`canary replicas for '${name}' must be a count, not ${count}`);
  }
}

function workloadRef(workload: Pick<CanaryWorkload, 'kind' | 'canary' | 'namespace'>): CanaryObjectRef {
  return { apiVersion: 'apps/v1', kind: workload.kind, namespace: workload.namespace, name: workload.canary };
}

function refId(ref: CanaryObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

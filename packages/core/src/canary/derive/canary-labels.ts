import { createHash } from 'node:crypto';

/** The label every object Slipway creates carries (the journal and the Lease carry it too). */
export const managedByLabel = 'app.kubernetes.io/managed-by';
/** The label naming the Helm release a canary object belongs to: what the sweep of {@link removeCanary} selects on. */
export const canaryOfLabel = 'slipway.dev/canary-of';
/** `canary` on canary objects and pods: what sets canary pods apart from stable's. */
export const trackLabel = 'slipway.dev/track';
/** The run that created a canary object, for whoever finds it later. */
export const canaryRunAnnotation = 'slipway.dev/run-id';
/** `Deployment/web`: the stable object a canary object was copied from. */
export const canarySourceAnnotation = 'slipway.dev/canary-source';

/** The labels that mark an object as one of the release's canary objects. */
export function canaryLabels(release: string): Record<string, string> {
  return { [managedByLabel]: 'slipway', [canaryOfLabel]: release, [trackLabel]: 'canary' };
}

/** `app.kubernetes.io/managed-by=slipway,slipway.dev/canary-of=<release>,slipway.dev/track=canary`. */
export function canaryLabelSelector(release: string): string {
  return Object.entries(canaryLabels(release))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** True when `labels` say the object is a canary object Slipway created for `release` (and so Slipway may change or delete it). */
export function isCanaryObjectOf(labels: Record<string, string> | undefined, release: string): boolean {
  return labels?.[managedByLabel] === 'slipway' && labels[canaryOfLabel] === release;
}

/**
 * `<name>-canary`, shortened with a hash of `name` when that would pass `maxLength`: 63 for names that
 * must be DNS labels (Services, and the Deployment name that ends up in pod labels), 52 for a
 * StatefulSet (its controller-revision-hash label is `<name>-<10 characters>`, and labels stop at 63).
 */
export function canaryName(name: string, maxLength = 63): string {
  const plain = `${name}-canary`;
  if (plain.length <= maxLength) return plain;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const keep = maxLength - '-canary'.length - hash.length - 1;
  return `${name.slice(0, keep).replace(/[-.]+$/, '')}-${hash}-canary`;
}

/**
 * The value a canary pod carries for a label whose stable value a Service selects on (so that the
 * stable Service does not select the canary): `<value>-canary`, a valid label value (63 characters at
 * most, alphanumeric at both ends), the same for every workload so that Services selecting pods of
 * several workloads still select all their canaries.
 */
export function canaryLabelValue(value: string): string {
  return value === '' ? 'canary' : canaryName(value, 63);
}

/**
 * Label and annotation keys Helm reads to count an object as part of a release (`meta.helm.sh/release-*`
 * for adoption, `helm.sh/*` for hooks and resource policy): never on a canary object, so that no Helm
 * operation claims, adopts or keeps one.
 */
export function isHelmKey(key: string): boolean {
  return key.startsWith('helm.sh/') || key.startsWith('meta.helm.sh/');
}

/** `record` without Helm's keys (and without `managed-by`, which the caller sets). */
export function withoutHelmKeys(record: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) {
    if (!isHelmKey(key) && key !== managedByLabel) out[key] = value;
  }
  return out;
}

import { structuredPatch } from 'diff';
import { stringify } from 'yaml';
import { InternalError } from '../errors/index.ts';
import { identityKey, type ManifestObject, type ManifestObjectRef, manifestObjectId, readManifestObjects } from './manifest-diff-objects.ts';
import { redactSecrets, type SecretKeyChange } from './manifest-diff-secrets.ts';

export { formatManifestDiff, formatManifestDiffMarkdown, type ManifestDiffMarkdownOptions } from './manifest-diff-format.ts';
export type { ManifestObjectRef } from './manifest-diff-objects.ts';
export type { SecretKeyChange } from './manifest-diff-secrets.ts';

/** What a deploy would do to one object. */
export type ManifestObjectChange = 'added' | 'removed' | 'changed' | 'unchanged';

export interface ManifestDiffOptions {
  /** The release namespace: objects without `metadata.namespace` are in it, so they pair with those that name it. */
  namespace?: string;
  /** Unchanged lines shown around each change; 3 by default. */
  context?: number;
}

/** One `@@` hunk of an object's unified diff; each line starts with ` `, `-` or `+`. */
export interface ManifestDiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

/** One object of either manifest and what the deploy would do to it. */
export interface ManifestObjectDiff {
  change: ManifestObjectChange;
  /** `Deployment/web`, `Deployment/web#2` (the second of that identity), `Deployment/web -n other`. */
  id: string;
  ref: ManifestObjectRef;
  /** The template it comes from (Helm's `# Source:`), when Helm said. */
  source: string | undefined;
  /**
   * For a changed object, the diff of its YAML (keys sorted, comments dropped, Secret values replaced by
   * markers); empty otherwise.
   */
  hunks: ManifestDiffHunk[];
  /** For a Secret (or a List holding Secrets), each key of its `data` and `stringData`; empty otherwise. */
  secretKeys: SecretKeyChange[];
}

/** An identity that occurs more than once in one manifest; every copy is kept and compared in order. */
export interface ManifestDuplicate {
  manifest: 'live' | 'rendered';
  /** The copies' ids, in order: `Deployment/web`, `Deployment/web#2`... */
  ids: string[];
}

/**
 * A Helm hook, set aside: `helm get manifest` leaves hooks out (they are in `helm get hooks`), while
 * `helm template` prints them, so comparing them would report every hook as added on every run.
 */
export interface ManifestHook {
  id: string;
  ref: ManifestObjectRef;
  /** The `helm.sh/hook` values: `pre-upgrade`, `test`... */
  hooks: string[];
  manifest: 'live' | 'rendered';
}

/** What `diffManifests` found: every object, changed or not, in the rendered manifest's order, then the removed ones. */
export interface ManifestDiff {
  objects: ManifestObjectDiff[];
  counts: Record<ManifestObjectChange, number>;
  duplicates: ManifestDuplicate[];
  hooks: ManifestHook[];
}

const defaultContext = 3;

/**
 * Compares the live release's manifest (`helm get manifest`; empty for a first install) with the one the
 * new version renders (`helm template`). Objects pair on API group, kind, namespace and name; each side is
 * re-serialised with sorted keys, so key order and Helm's comments are no change. Secret values never leave
 * this function: `data` and `stringData` keys come back with markers. Hooks are set aside (see
 * {@link ManifestHook}). Throws a ParseError when either manifest is not a stream of Kubernetes objects.
 */
export function diffManifests(live: string, rendered: string, options: ManifestDiffOptions = {}): ManifestDiff {
  const liveAll = readManifestObjects(live, { what: 'the live manifest (helm get manifest)', namespace: options.namespace });
  const renderedAll = readManifestObjects(rendered, { what: 'the rendered manifest (helm template)', namespace: options.namespace });
  const context = options.context ?? defaultContext;

  const unpaired = new Map<string, ManifestObject>();
  for (const object of liveAll) if (object.hooks.length === 0) unpaired.set(pairKey(object.ref), object);

  const objects: ManifestObjectDiff[] = [];
  for (const object of renderedAll) {
    if (object.hooks.length > 0) continue;
    const counterpart = unpaired.get(pairKey(object.ref));
    unpaired.delete(pairKey(object.ref));
    objects.push(compareObjects(counterpart, object, options.namespace, context));
  }
  for (const object of unpaired.values()) objects.push(compareObjects(object, undefined, options.namespace, context));

  const counts: Record<ManifestObjectChange, number> = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  for (const object of objects) counts[object.change] += 1;
  return {
    objects,
    counts,
    duplicates: [...findDuplicates(liveAll, 'live', options.namespace), ...findDuplicates(renderedAll, 'rendered', options.namespace)],
    hooks: [...hooksOf(renderedAll, 'rendered', options.namespace), ...hooksOf(liveAll, 'live', options.namespace)],
  };
}

function compareObjects(
  live: ManifestObject | undefined,
  rendered: ManifestObject | undefined,
  namespace: string | undefined,
  context: number,
): ManifestObjectDiff {
  const shown = rendered ?? live;
  if (!shown) throw new InternalError('compareObjects was given neither a live nor a rendered object');
  const redacted = redactSecrets(live?.value, rendered?.value);
  const change: ManifestObjectChange = !live ? 'added' : !rendered ? 'removed' : normalise(live.value) === normalise(rendered.value) ? 'unchanged' : 'changed';
  const hunks =
    change === 'changed'
      ? structuredPatch('live', 'rendered', normalise(redacted.live), normalise(redacted.rendered), undefined, undefined, { context }).hunks.map((hunk) => ({
          oldStart: hunk.oldStart,
          oldLines: hunk.oldLines,
          newStart: hunk.newStart,
          newLines: hunk.newLines,
          lines: hunk.lines,
        }))
      : [];
  return { change, id: manifestObjectId(shown.ref, namespace), ref: shown.ref, source: shown.source, hunks, secretKeys: redacted.secretKeys };
}

/**
 * One canonical text per object: sorted keys, no comments, no folding of long strings (a folded line
 * would move with every edit near it), and no YAML aliases for objects that happen to repeat.
 */
function normalise(value: unknown): string {
  return value === undefined ? '' : stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

function pairKey(ref: ManifestObjectRef): string {
  return `${identityKey(ref)}#${ref.occurrence}`;
}

function findDuplicates(objects: readonly ManifestObject[], manifest: ManifestDuplicate['manifest'], namespace: string | undefined): ManifestDuplicate[] {
  const byIdentity = new Map<string, ManifestObjectRef[]>();
  for (const object of objects) {
    const refs = byIdentity.get(identityKey(object.ref)) ?? [];
    refs.push(object.ref);
    byIdentity.set(identityKey(object.ref), refs);
  }
  return [...byIdentity.values()].filter((refs) => refs.length > 1).map((refs) => ({ manifest, ids: refs.map((ref) => manifestObjectId(ref, namespace)) }));
}

function hooksOf(objects: readonly ManifestObject[], manifest: ManifestHook['manifest'], namespace: string | undefined): ManifestHook[] {
  return objects
    .filter((object) => object.hooks.length > 0)
    .map((object) => ({ id: manifestObjectId(object.ref, namespace), ref: object.ref, hooks: object.hooks, manifest }));
}

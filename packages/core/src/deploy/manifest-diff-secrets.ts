import { stringify } from 'yaml';
import { isRecord } from './manifest-diff-objects.ts';

/** What happened to one key of a Secret's `data` or `stringData`; its value is never kept. */
export interface SecretKeyChange {
  field: 'data' | 'stringData';
  key: string;
  change: 'added' | 'removed' | 'changed' | 'unchanged';
}

/** A live and a rendered object with every Secret value replaced by a marker. */
export interface RedactedPair {
  live: Record<string, unknown> | undefined;
  rendered: Record<string, unknown> | undefined;
  /** The keys of the Secret (or of the Secrets in a List), in the order they are shown. */
  secretKeys: SecretKeyChange[];
}

const secretFields = ['data', 'stringData'] as const;

/**
 * What each side shows instead of a value. A changed value needs different text on each side, or the
 * line diff would see two equal lines and the change would not show at all.
 */
const markers = {
  live: { added: undefined, removed: '(removed)', changed: '(old value)', unchanged: '(unchanged)' },
  rendered: { added: '(added)', removed: undefined, changed: '(changed)', unchanged: '(unchanged)' },
} as const;

/**
 * Copies of a live object and its rendered counterpart (either may be missing) in which the values of
 * every Secret's `data` and `stringData` are replaced by markers found by comparing the two sides:
 * `(unchanged)`, `(added)`, `(removed)`, and for a changed value `(old value)` on the live side and
 * `(changed)` on the rendered one. Secrets inside a `List` are paired by name and namespace. Other
 * objects come back as they are.
 */
export function redactSecrets(live: Record<string, unknown> | undefined, rendered: Record<string, unknown> | undefined): RedactedPair {
  if (isSecret(live) || isSecret(rendered)) return redactSecretPair(live, rendered);
  if (!hasItems(live) && !hasItems(rendered)) return { live, rendered, secretKeys: [] };
  // A List is not opened for pairing, but a Secret in its items must not be printed either.
  const secretKeys: SecretKeyChange[] = [];
  const liveItems = hasItems(live) ? [...live.items] : [];
  const renderedItems = hasItems(rendered) ? [...rendered.items] : [];
  const pairedLive = new Set<number>();
  renderedItems.forEach((item, index) => {
    if (!isSecret(item)) return;
    const liveIndex = liveItems.findIndex((candidate, i) => !pairedLive.has(i) && isSecret(candidate) && secretKey(candidate) === secretKey(item));
    const liveItem = liveItems[liveIndex];
    if (liveIndex !== -1) pairedLive.add(liveIndex);
    const pair = redactSecretPair(isSecret(liveItem) ? liveItem : undefined, item);
    renderedItems[index] = pair.rendered;
    if (liveIndex !== -1) liveItems[liveIndex] = pair.live;
    secretKeys.push(...pair.secretKeys);
  });
  liveItems.forEach((item, index) => {
    if (!isSecret(item) || pairedLive.has(index)) return;
    const pair = redactSecretPair(item, undefined);
    liveItems[index] = pair.live;
    secretKeys.push(...pair.secretKeys);
  });
  return {
    live: hasItems(live) ? { ...live, items: liveItems } : live,
    rendered: hasItems(rendered) ? { ...rendered, items: renderedItems } : rendered,
    secretKeys,
  };
}

function redactSecretPair(live: Record<string, unknown> | undefined, rendered: Record<string, unknown> | undefined): RedactedPair {
  const liveCopy = live && { ...live };
  const renderedCopy = rendered && { ...rendered };
  const secretKeys: SecretKeyChange[] = [];
  for (const field of secretFields) {
    const liveValues = valuesOf(live?.[field]);
    const renderedValues = valuesOf(rendered?.[field]);
    const liveMarked: Record<string, string> = {};
    const renderedMarked: Record<string, string> = {};
    for (const key of unionOfKeys(liveValues, renderedValues)) {
      const change = compareValues(liveValues, renderedValues, key);
      secretKeys.push({ field, key, change });
      const liveMarker = markers.live[change];
      const renderedMarker = markers.rendered[change];
      if (liveMarker !== undefined) liveMarked[key] = liveMarker;
      if (renderedMarker !== undefined) renderedMarked[key] = renderedMarker;
    }
    if (liveCopy && live?.[field] !== undefined) liveCopy[field] = replaceValues(live[field], liveMarked, rendered?.[field], '(old value)');
    if (renderedCopy && rendered?.[field] !== undefined) renderedCopy[field] = replaceValues(rendered[field], renderedMarked, live?.[field], '(changed)');
  }
  return { live: liveCopy, rendered: renderedCopy, secretKeys };
}

/**
 * The field with its values replaced. Anything but a map of keys (a string, a list: not valid, but a
 * template can render it) is hidden whole, with `changedMarker` when the other side differs.
 */
function replaceValues(original: unknown, marked: Record<string, string>, other: unknown, changedMarker: string): unknown {
  if (original === null) return null;
  if (isRecord(original)) return marked;
  return other === undefined || canonical(original) === canonical(other) ? '(hidden)' : `(hidden) ${changedMarker}`;
}

function valuesOf(field: unknown): Map<string, unknown> {
  if (!isRecord(field)) return new Map();
  return new Map(Object.entries(field));
}

function unionOfKeys(live: Map<string, unknown>, rendered: Map<string, unknown>): string[] {
  return [...new Set([...live.keys(), ...rendered.keys()])].sort();
}

function compareValues(live: Map<string, unknown>, rendered: Map<string, unknown>, key: string): SecretKeyChange['change'] {
  if (!live.has(key)) return 'added';
  if (!rendered.has(key)) return 'removed';
  return canonical(live.get(key)) === canonical(rendered.get(key)) ? 'unchanged' : 'changed';
}

function canonical(value: unknown): string {
  return typeof value === 'string' ? value : stringify(value, { sortMapEntries: true });
}

function isSecret(value: unknown): value is Record<string, unknown> & { kind: 'Secret' } {
  // Any group: a Secret of another API is no less secret.
  return isRecord(value) && value.kind === 'Secret';
}

function hasItems(value: unknown): value is Record<string, unknown> & { items: unknown[] } {
  return isRecord(value) && Array.isArray(value.items);
}

function secretKey(secret: Record<string, unknown>): string {
  const metadata = isRecord(secret.metadata) ? secret.metadata : {};
  return JSON.stringify([metadata.namespace ?? '', metadata.name ?? '']);
}

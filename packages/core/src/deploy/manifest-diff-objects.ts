import { type Document, parseAllDocuments } from 'yaml';
import { ParseError } from '../errors/index.ts';

/** Who an object is, for pairing a live object with its rendered counterpart. */
export interface ManifestObjectRef {
  /** API group: `apps` for `apps/v1`, empty for the core group (`v1`). */
  group: string;
  /** As written, `apps/v1`; not part of the identity, so a version bump pairs and shows as a change. */
  apiVersion: string;
  kind: string;
  /** `metadata.namespace`, or the release namespace when the object has none (empty when no release namespace was given). */
  namespace: string;
  /** `metadata.name`; empty for objects without one (a `List`). */
  name: string;
  /** 1 for the first object with this identity in its manifest, 2 for the second, and so on. */
  occurrence: number;
}

/** One object of a manifest, read and ready to compare. */
export interface ManifestObject {
  ref: ManifestObjectRef;
  /** The template it came from (Helm's `# Source:` comment), when there is one. */
  source: string | undefined;
  /** The `helm.sh/hook` values, empty for the release's own objects. */
  hooks: string[];
  /** The object as compared: as Helm printed it, less a `metadata.namespace` that names the release namespace. */
  value: Record<string, unknown>;
}

export interface ReadManifestOptions {
  /** Which manifest this is, for error messages: `the live manifest (helm get manifest)`. */
  what: string;
  /** Namespace of objects that name none. */
  namespace: string | undefined;
}

/**
 * The objects of a multi-document YAML stream as Helm prints it (`helm template`, `helm get manifest`).
 * Empty documents and documents of comments only are skipped; a `List` is one object like any other.
 * Throws a ParseError for YAML that does not parse and for a document that is not a Kubernetes object.
 */
export function readManifestObjects(stream: string, options: ReadManifestOptions): ManifestObject[] {
  // CRLF would end up inside block scalars and make every line of them differ from an LF copy.
  const text = stream.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const seen = new Map<string, number>();
  const objects: ManifestObject[] = [];
  for (const document of parseAllDocuments(text, { intAsBigInt: true })) {
    const documentText = text.slice(document.range[0], document.range[2]);
    const problem = document.errors[0];
    if (problem) {
      const line = lineNumberAt(text, problem.pos[0]);
      throw new ParseError(`${options.what} (YAML error at line ${line})`, safeQuote(documentText), {
        cause: looksLikeSecret(documentText) ? new Error(`${problem.code} at line ${line}`) : problem,
        hint: 'the manifest should be what `helm template` or `helm get manifest` prints',
      });
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const object = toManifestObject(value, document, options.namespace);
    if (!object) {
      throw new ParseError(`${options.what}: a document that is not a Kubernetes object (no apiVersion and kind)`, safeQuote(documentText), {
        hint: 'the manifest should be what `helm template` or `helm get manifest` prints',
      });
    }
    const key = identityKey(object.ref);
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    object.ref.occurrence = occurrence;
    objects.push(object);
  }
  return objects;
}

/** The identity two manifests pair objects on: group, kind, namespace and name (not the version, not the occurrence). */
export function identityKey(ref: ManifestObjectRef): string {
  return JSON.stringify([ref.group, ref.kind, ref.namespace, ref.name]);
}

/**
 * How an object is named in the log: `Deployment/web`; `-n other` when it is not in the release
 * namespace; `#2` for the second object of the same identity in one manifest.
 */
export function manifestObjectId(ref: ManifestObjectRef, releaseNamespace: string | undefined): string {
  const name = ref.name === '' ? '(no name)' : ref.name;
  const namespace = ref.namespace !== (releaseNamespace ?? '') && ref.namespace !== '' ? ` -n ${ref.namespace}` : '';
  const occurrence = ref.occurrence > 1 ? `#${ref.occurrence}` : '';
  return `${ref.kind}/${name}${occurrence}${namespace}`;
}

function toManifestObject(value: unknown, document: Document.Parsed, releaseNamespace: string | undefined): ManifestObject | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string' || value.kind === '' || typeof value.apiVersion !== 'string' || value.apiVersion === '') {
    return undefined;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const hook = annotations['helm.sh/hook'];
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : (releaseNamespace ?? '');
  const slash = value.apiVersion.lastIndexOf('/');
  return {
    ref: {
      group: slash === -1 ? '' : value.apiVersion.slice(0, slash),
      apiVersion: value.apiVersion,
      kind: value.kind,
      namespace,
      name: typeof metadata.name === 'string' ? metadata.name : '',
      occurrence: 1,
    },
    source: sourceOf(document),
    hooks:
      typeof hook === 'string'
        ? hook
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : [],
    value: withoutReleaseNamespace(value, releaseNamespace),
  };
}

/**
 * The object without `metadata.namespace` when that is the release namespace: Helm puts an object that
 * names no namespace in the release's, so a chart that starts or stops writing it changes nothing.
 */
function withoutReleaseNamespace(value: Record<string, unknown>, releaseNamespace: string | undefined): Record<string, unknown> {
  if (releaseNamespace === undefined || !isRecord(value.metadata) || value.metadata.namespace !== releaseNamespace) return value;
  const { namespace: _, ...metadata } = value.metadata;
  return { ...value, metadata };
}

/** Helm's `# Source: chart/templates/x.yaml`, which it writes right after the `---` of each document. */
function sourceOf(document: Document.Parsed): string | undefined {
  const comments = [document.commentBefore, document.contents?.commentBefore].filter((comment) => typeof comment === 'string');
  for (const comment of comments) {
    const match = /^ ?Source: (.+)$/m.exec(comment);
    if (match?.[1]) return match[1].trim();
  }
  return undefined;
}

/** A broken Secret must not have its values quoted in the error: keep what comes before its data. */
function safeQuote(documentText: string): string {
  if (!looksLikeSecret(documentText)) return documentText;
  const data = /^\s*(data|stringData)\s*:/m.exec(documentText);
  return `${documentText.slice(0, data?.index ?? 0)}(the rest of this Secret is not shown)`;
}

function looksLikeSecret(documentText: string): boolean {
  return /^\s*kind\s*:\s*["']?Secret["']?\s*$/m.test(documentText);
}

function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text[i] === '\n') line += 1;
  return line;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

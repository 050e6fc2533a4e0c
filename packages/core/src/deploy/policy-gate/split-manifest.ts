import { parse as parseYaml } from 'yaml';

/** The Kubernetes object one document of a rendered manifest declares, as far as it says. */
export interface ManifestObject {
  apiVersion: string | undefined;
  kind: string | undefined;
  name: string | undefined;
  namespace: string | undefined;
}

/** One document of `helm template` output, and the file it is scanned as. */
export interface ManifestDocument {
  /** Position among the manifest's documents, from 1. */
  index: number;
  /** The template it came from, as Helm's `# Source:` comment names it (`app/templates/deployment.yaml`). */
  source: string | undefined;
  /**
   * The file it is written to, relative to the scan dir: the source made safe as a path (no `..`, no
   * absolute path, only `[A-Za-z0-9._-]` in a segment), `-2`, `-3`... for a template's later documents.
   */
  file: string;
  /** The document's text; Trivy's line numbers count from its first line (the `# Source:` comment). */
  text: string;
  /** Undefined when the text is not a YAML mapping. */
  object: ManifestObject | undefined;
}

/**
 * Splits multi-document YAML (what `helm template` prints) into its documents, dropping empty ones (a
 * template that rendered nothing, comments only). Each becomes one file named after its template, so
 * findings name the template and a line within what it rendered, and every document can be checked to
 * have been scanned.
 */
export function splitManifest(manifest: string): ManifestDocument[] {
  const chunks: string[][] = [[]];
  for (const line of manifest.replace(/\r\n/g, '\n').split('\n')) {
    // `---` at column 0 starts a document and `...` ends one; inside block scalars they are indented.
    if (/^---(\s.*)?$/.test(line) || /^\.\.\.\s*$/.test(line)) chunks.push([]);
    else chunks[chunks.length - 1]?.push(line);
  }
  const files = new Set<string>();
  const dirs = new Set<string>();
  const documents: ManifestDocument[] = [];
  for (const lines of chunks) {
    if (lines.every((line) => /^\s*(#.*)?$/.test(line))) continue;
    const index = documents.length + 1;
    const source = lines
      .find((line) => /^# Source: /.test(line))
      ?.slice('# Source: '.length)
      .trim();
    const file = claimPath(safeRelativePath(source) ?? `manifest-${index}.yaml`, `manifest-${index}.yaml`, files, dirs);
    const text = `${lines.join('\n').replace(/\n+$/, '')}\n`;
    documents.push({ index, source: source || undefined, file, text, object: readObject(text) });
  }
  return documents;
}

/** `chart/templates/x.yaml` as a relative path that stays inside the scan dir, ending in .yaml/.yml (Trivy picks Kubernetes files by it). */
function safeRelativePath(source: string | undefined): string | undefined {
  if (!source) return undefined;
  const segments = source
    .split(/[/\\]+/)
    .map((segment) => segment.replace(/[^A-Za-z0-9._-]/g, '_'))
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..');
  if (segments.length === 0) return undefined;
  const joined = segments.join('/');
  return /\.ya?ml$/i.test(joined) ? joined : `${joined}.yaml`;
}

/**
 * The path itself when free, else `name-2.yaml`, `name-3.yaml`...; never a file where a directory is, or
 * the reverse. A source below a path already taken by a file is written at the top, as `fallback`.
 */
function claimPath(wanted: string, fallback: string, files: Set<string>, dirs: Set<string>): string {
  const base = parentsOf(wanted).some((dir) => files.has(dir)) ? fallback : wanted;
  const extension = /\.ya?ml$/i.exec(base)?.[0] ?? '';
  const stem = base.slice(0, base.length - extension.length);
  for (let n = 1; ; n++) {
    // A suffix changes only the last segment, so the parents stay free of files.
    const candidate = n === 1 ? base : `${stem}-${n}${extension}`;
    if (files.has(candidate) || dirs.has(candidate)) continue;
    files.add(candidate);
    for (const dir of parentsOf(candidate)) dirs.add(dir);
    return candidate;
  }
}

/** `a/b/c.yaml` -> `a`, `a/b`. */
function parentsOf(file: string): string[] {
  const segments = file.split('/').slice(0, -1);
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'));
}

function readObject(text: string): ManifestObject | undefined {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  return { apiVersion: str(value.apiVersion), kind: str(value.kind), name: str(metadata.name), namespace: str(metadata.namespace) };
}

/** `Deployment/web`, `Deployment/web -n team` or, for a document that is no object, its file. */
export function describeObject(document: Pick<ManifestDocument, 'object' | 'file'>): string {
  const { object } = document;
  if (!object?.kind) return document.file;
  return `${object.kind}/${object.name ?? '?'}${object.namespace ? ` -n ${object.namespace}` : ''}`;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

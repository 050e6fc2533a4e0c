import { parseAllDocuments } from 'yaml';
import { ParseError } from '../../errors/index.ts';

/** The kinds whose rollout Slipway watches: what `kubectl rollout status` knows, and Jobs. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';

/** One workload of a rendered release. */
export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  /** The `helm.sh/hook` values of a hook (`['pre-install', 'pre-upgrade']`); empty for the release's own workloads. */
  hooks: string[];
}

/** API groups per kind: `apps/v1` and `batch/v1`, and the old `extensions/v1beta1` a chart may still carry. */
const groupsOf: Record<WorkloadKind, readonly string[]> = {
  Deployment: ['apps', 'extensions'],
  StatefulSet: ['apps'],
  DaemonSet: ['apps', 'extensions'],
  Job: ['batch'],
};

/** `helm test` hooks: Helm runs them only in `helm test`, never in an upgrade. */
const testHooks = new Set(['test', 'test-success', 'test-failure']);

/** `Deployment/web`: how a workload is named in verdicts and log lines. */
export function workloadId(workload: Pick<WorkloadRef, 'kind' | 'name'>): string {
  return `${workload.kind}/${workload.name}`;
}

/**
 * The workloads of a rendered manifest (`helm template`, `helm get manifest`): Deployments, StatefulSets,
 * DaemonSets and Jobs, each once, in the order they appear, with their hooks (a pre-upgrade Job is
 * watched while Helm runs it). Other kinds, `helm test` hooks, empty documents and `# Source:` comments
 * are skipped; `List` kinds are opened. Throws a ParseError for YAML that does not parse.
 */
export function workloadsInManifest(manifest: string, defaultNamespace: string): WorkloadRef[] {
  const found = new Map<string, WorkloadRef>();
  for (const document of parseAllDocuments(manifest)) {
    const problem = document.errors[0];
    if (problem) throw new ParseError('the rendered manifest', manifest.slice(Math.max(0, (problem.pos[0] ?? 0) - 40)), { cause: problem });
    for (const object of objectsIn(document.toJS({ maxAliasCount: 100 }))) {
      const ref = toWorkloadRef(object, defaultNamespace);
      if (!ref) continue;
      const key = `${ref.namespace}/${ref.kind}/${ref.name}`;
      if (!found.has(key)) found.set(key, ref);
    }
  }
  return [...found.values()];
}

/** The object itself, or the items of a `List` (`v1/List`, `DeploymentList`...), recursively. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (!isRecord(value)) return [];
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) return value.items.flatMap(objectsIn);
  return [value];
}

function toWorkloadRef(object: Record<string, unknown>, defaultNamespace: string): WorkloadRef | undefined {
  const kind = object.kind;
  if (!isWorkloadKind(kind)) return undefined;
  const group = typeof object.apiVersion === 'string' && object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  if (!groupsOf[kind].includes(group ?? '')) return undefined;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') return undefined;
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const hookValue = annotations['helm.sh/hook'];
  const hooks =
    typeof hookValue === 'string'
      ? hookValue
          .split(',')
          .map((hook) => hook.trim())
          .filter((hook) => hook !== '')
      : [];
  if (hooks.some((hook) => testHooks.has(hook))) return undefined;
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : defaultNamespace;
  return { kind, name: metadata.name, namespace, hooks };
}

function isWorkloadKind(value: unknown): value is WorkloadKind {
  return typeof value === 'string' && Object.hasOwn(groupsOf, value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

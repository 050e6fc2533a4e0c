import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workloadId, workloadsInManifest, type WorkloadRef } from '../../../../packages/core/src/deploy/health/rendered-workloads.ts';
import { ParseError } from '../../../../packages/core/src/errors/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/k8s');
/** A manifest Helm printed (test/fixtures/k8s/capture.ts). */
const manifest = (file: string): string => (JSON.parse(readFileSync(path.join(fixtures, file), 'utf8')) as { manifest: string }).manifest;

const ref = (kind: WorkloadRef['kind'], name: string, hooks: string[] = [], namespace = 'slipway-rec'): WorkloadRef => ({ kind, name, namespace, hooks });

describe('workloadsInManifest on what Helm renders', () => {
  const everyKind = [
    ref('DaemonSet', 'web-agent'),
    ref('Deployment', 'web-web'),
    ref('StatefulSet', 'web-db'),
    ref('Job', 'web-migrate'),
    ref('Job', 'web-pre-upgrade', ['pre-install', 'pre-upgrade']),
  ];

  it.each([
    ['manifest-helm4-template-workloads.json', everyKind],
    ['manifest-helm3-template-workloads.json', everyKind],
    // The demo chart's `helm test` pod is a Pod (not watched) and a test hook (never run by an upgrade).
    ['manifest-helm4-template-demo.json', [ref('Deployment', 'demo-slipway-demo')]],
    ['manifest-helm3-template-demo.json', [ref('Deployment', 'demo-slipway-demo')]],
    // `helm get manifest` leaves hooks out.
    ['manifest-helm4-get-manifest-demo.json', [ref('Deployment', 'got-slipway-demo')]],
  ])('%s', (file, expected) => {
    expect(workloadsInManifest(manifest(file), 'slipway-rec')).toEqual(expected);
  });
});

describe('workloadsInManifest on the edges of multi-document YAML', () => {
  const deployment = (name: string, extra = '') => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${extra}spec:\n  replicas: 1\n`;

  it.each<[string, string, WorkloadRef[]]>([
    ['an empty manifest', '', []],
    ['documents with only separators and comments', '---\n# Source: chart/templates/empty.yaml\n---\n---\n', []],
    ['a document after a `# Source:` comment', `---\n# Source: chart/templates/d.yaml\n${deployment('web')}`, [ref('Deployment', 'web', [], 'default')]],
    ['its own namespace', deployment('web', '  namespace: other\n'), [ref('Deployment', 'web', [], 'other')]],
    [
      'a hook with spaces in the list',
      deployment('mig', '  annotations:\n    helm.sh/hook: " post-install , post-upgrade "\n'),
      [ref('Deployment', 'mig', ['post-install', 'post-upgrade'], 'default')],
    ],
    ['a helm test Job', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n', []],
    ['a legacy test-success hook', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test-success\n', []],
    [
      'a CronJob, a Service, a ConfigMap',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n',
      [],
    ],
    ['a custom resource that calls itself Deployment', 'apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\n', []],
    ['an object without a name', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {}\n', []],
    ['the same workload twice', `${deployment('web')}---\n${deployment('web')}`, [ref('Deployment', 'web', [], 'default')]],
    [
      'a List (and a typed list) of workloads',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata: {name: db}\n- apiVersion: apps/v1\n  kind: DeploymentList\n  items:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n',
      [ref('StatefulSet', 'db', [], 'default'), ref('Deployment', 'web', [], 'default')],
    ],
    ['a scalar document', 'just text\n', []],
    ['a document ended with ...', `${deployment('web')}...\n`, [ref('Deployment', 'web', [], 'default')]],
  ])('%s', (_name, text, expected) => {
    expect(workloadsInManifest(text, 'default')).toEqual(expected);
  });

  it('throws a ParseError that quotes the YAML it could not read', () => {
    expect(() => workloadsInManifest('kind: Deployment\nmetadata: {name: [oops\n', 'default')).toThrow(ParseError);
    expect(() => workloadsInManifest('kind: Deployment\nmetadata: {name: [oops\n', 'default')).toThrow(/could not parse the rendered manifest/);
  });

  it('names a workload kind/name', () => {
    expect(workloadId(ref('Deployment', 'web'))).toBe('Deployment/web');
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { diffManifests, formatManifestDiff, formatManifestDiffMarkdown, type ManifestDiff } from '../../../packages/core/src/deploy/manifest-diff.ts';
import { ParseError } from '../../../packages/core/src/errors/index.ts';

/** Real `helm template` outputs (test/fixtures/helm/manifest-diff/README.md says how they were made). */
function fixture(name: string): string {
  return readFileSync(path.resolve(import.meta.dirname, '../../fixtures/helm/manifest-diff', `${name}.yaml`), 'utf8');
}

const namespace = 'slipway-rec';
const demoV1 = fixture('demo-v1-helm4');
const demoV1Helm3 = fixture('demo-v1-helm3');
const demoV2 = fixture('demo-v2-helm4');
const demoV2Replicas3 = fixture('demo-v2-replicas3-helm4');
const demoRoutes = fixture('demo-v1-routes-helm4');
const shopV1 = fixture('shop-v1-helm4');
const shopRotated = fixture('shop-v2-rotated-key-helm4');
const shopKeysEdited = fixture('shop-v2-secret-keys-edited');
const edgesList = fixture('edges-list-helm4');
const edgesNoList = fixture('edges-no-list-helm4');

const deployment = 'Deployment/demo-slipway-demo';
const service = 'Service/demo-slipway-demo';

function changes(diff: ManifestDiff): Record<string, string> {
  return Object.fromEntries(diff.objects.map((object) => [object.id, object.change]));
}

function diffLines(diff: ManifestDiff, id: string): string[] {
  return diff.objects.find((object) => object.id === id)?.hunks.flatMap((hunk) => hunk.lines) ?? [];
}

/** Every text a caller could print or store: both formats and the structured result. */
function everythingPrintable(diff: ManifestDiff): string {
  return [formatManifestDiff(diff), formatManifestDiffMarkdown(diff), JSON.stringify(diff)].join('\n');
}

/** The same documents with the keys of every mapping in reverse order and Helm's comments gone. */
function reverseKeys(manifest: string): string {
  const reverse = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reverse);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, inner]) => [key, reverse(inner)]),
    );
  };
  return parseAllDocuments(manifest)
    .map((document) => document.toJS())
    .filter((value) => value !== null)
    .map((value) => `---\n${stringify(reverse(value))}`)
    .join('');
}

/** The `---` document of `manifest` whose Helm source comment names `template`. */
function documentFrom(manifest: string, template: string): string {
  const document = manifest.split(/^---$/m).find((part) => part.includes(`# Source: ${template}\n`));
  if (!document) throw new Error(`no document from ${template}`);
  return `---${document}`;
}

describe('diffManifests on real helm template outputs', () => {
  it('finds no change between two identical renders', () => {
    const diff = diffManifests(demoV1, demoV1, { namespace });

    expect(diff.counts).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 2 });
    expect(diff.objects.flatMap((object) => object.hunks)).toEqual([]);
    expect(formatManifestDiff(diff)).toContain('no objects change; 2 unchanged');
  });

  it('finds no change between Helm 3 and Helm 4 renders of the same values (they differ in blank lines)', () => {
    expect(demoV1Helm3).not.toBe(demoV1);
    expect(diffManifests(demoV1Helm3, demoV1, { namespace }).counts).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 2 });
  });

  it('marks only the Deployment changed when the version label changes, with that line in a hunk', () => {
    const diff = diffManifests(demoV1, demoV2, { namespace });

    expect(changes(diff)).toEqual({ [service]: 'unchanged', [deployment]: 'changed' });
    expect(diffLines(diff, deployment).filter((line) => !line.startsWith(' '))).toEqual(['-        version: v1', '+        version: v2']);
    expect(formatManifestDiff(diff)).toBe(
      [
        '~ Deployment/demo-slipway-demo (changed)',
        '    @@ -20,7 +20,7 @@',
        '           labels:',
        '             app.kubernetes.io/instance: demo',
        '             app.kubernetes.io/name: slipway-demo',
        '    -        version: v1',
        '    +        version: v2',
        '         spec:',
        '           containers:',
        '             - image: 127.0.0.1:5443/slipway/demo:1.0.0',
        'not compared: 1 hook (helm get manifest leaves hooks out): Pod/demo-slipway-demo-test',
        '1 object changes: 1 changed; 1 unchanged',
      ].join('\n'),
    );
  });

  it('shows a replica change in its own hunk beside the version change', () => {
    const diff = diffManifests(demoV1, demoV2Replicas3, { namespace });

    expect(changes(diff)).toEqual({ [service]: 'unchanged', [deployment]: 'changed' });
    const hunks = diff.objects.find((object) => object.id === deployment)?.hunks ?? [];
    expect(hunks.map((hunk) => hunk.lines.filter((line) => !line.startsWith(' ')))).toEqual([
      ['-  replicas: 2', '+  replicas: 3'],
      ['-        version: v1', '+        version: v2'],
    ]);
  });

  it('keeps as many context lines as asked', () => {
    const [hunk] = diffManifests(demoV1, demoV2, { namespace, context: 1 }).objects.find((object) => object.id === deployment)?.hunks ?? [];

    expect(hunk?.lines).toEqual(['         app.kubernetes.io/name: slipway-demo', '-        version: v1', '+        version: v2', '     spec:']);
  });

  it('lists objects the new values add, and removes them when the values go back', () => {
    const added = diffManifests(demoV1, demoRoutes, { namespace });
    const removed = diffManifests(demoRoutes, demoV1, { namespace });

    expect(changes(added)).toMatchObject({ 'Ingress/demo-slipway-demo': 'added', 'HTTPRoute/demo-slipway-demo': 'added', [deployment]: 'unchanged' });
    expect(formatManifestDiff(added)).toContain('+ Ingress/demo-slipway-demo (added)\n+ HTTPRoute/demo-slipway-demo (added)\n');
    expect(formatManifestDiff(added)).toMatch(/2 objects change: 2 added; 2 unchanged$/);
    expect(formatManifestDiff(removed)).toContain('- Ingress/demo-slipway-demo (removed)\n- HTTPRoute/demo-slipway-demo (removed)\n');
    expect(formatManifestDiff(removed)).toMatch(/2 objects change: 2 removed; 2 unchanged$/);
  });

  it('counts added, changed and removed objects in one line', () => {
    const ingress = documentFrom(demoRoutes, 'slipway-demo/templates/ingress.yaml');
    const diff = diffManifests(demoRoutes.replace(ingress, ''), `${demoV2}\n${ingress}`, { namespace });

    expect(changes(diff)).toEqual({
      [service]: 'unchanged',
      [deployment]: 'changed',
      'Ingress/demo-slipway-demo': 'added',
      'HTTPRoute/demo-slipway-demo': 'removed',
    });
    expect(formatManifestDiff(diff)).toMatch(/\n3 objects change: 1 added, 1 changed, 1 removed; 1 unchanged$/);
  });

  it('adds everything on a first install (no live manifest)', () => {
    const diff = diffManifests('', demoV1, { namespace });

    expect(changes(diff)).toEqual({ [service]: 'added', [deployment]: 'added' });
  });

  it('sees no change when only the order of keys and the comments differ', () => {
    const reordered = reverseKeys(demoV2Replicas3);
    expect(reordered).not.toContain('# Source');

    expect(diffManifests(demoV2Replicas3, reordered, { namespace }).counts.unchanged).toBe(2);
    expect(diffManifests(demoV2Replicas3, reordered, { namespace }).counts.changed).toBe(0);
  });

  it('pairs an object that names the release namespace with one that names none', () => {
    const explicit = demoV1.replaceAll('\nmetadata:\n', `\nmetadata:\n  namespace: ${namespace}\n`);
    expect(explicit).not.toBe(demoV1);

    expect(diffManifests(demoV1, explicit, { namespace }).counts).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 2 });
  });

  it('does not pair objects in different namespaces, and names the other namespace', () => {
    const elsewhere = demoV1.replace('\nkind: Service\nmetadata:\n', '\nkind: Service\nmetadata:\n  namespace: other\n');

    expect(changes(diffManifests(demoV1, elsewhere, { namespace }))).toEqual({
      'Service/demo-slipway-demo -n other': 'added',
      [deployment]: 'unchanged',
      [service]: 'removed',
    });
  });

  it('pairs a version bump of the same API group as a change, not a remove and an add', () => {
    const beta = demoV1.replace('apiVersion: apps/v1\nkind: Deployment', 'apiVersion: apps/v1beta2\nkind: Deployment');
    const diff = diffManifests(beta, demoV1, { namespace });

    expect(changes(diff)[deployment]).toBe('changed');
    expect(diffLines(diff, deployment)).toContain('+apiVersion: apps/v1');
  });

  it('sets hooks aside, since helm get manifest leaves them out, and says so', () => {
    const diff = diffManifests(shopV1, shopV1, { namespace });

    expect(diff.hooks.filter((hook) => hook.manifest === 'rendered').map((hook) => [hook.id, hook.hooks])).toEqual([
      ['ConfigMap/shop-app-hook-settings', ['pre-upgrade']],
      ['Pod/shop-app-test', ['test']],
      ['Job/shop-app-migrate', ['pre-upgrade']],
    ]);
    expect(diff.objects.map((object) => object.id)).not.toContain('Job/shop-app-migrate');
    expect(formatManifestDiff(diff)).toContain(
      'not compared: 3 hooks (helm get manifest leaves hooks out): ConfigMap/shop-app-hook-settings, Pod/shop-app-test, Job/shop-app-migrate',
    );
  });

  it('treats a List as one object and does not open it', () => {
    const diff = diffManifests(edgesList, edgesNoList, { namespace });

    expect(diff.objects.filter((object) => object.change !== 'unchanged').map((object) => [object.id, object.change])).toEqual([['List/(no name)', 'removed']]);
    expect(formatManifestDiff(diff)).not.toContain('edges-listed');
  });
});

describe('Secrets', () => {
  const secretValues = [
    'not-a-real-key',
    'bm90LWEtcmVhbC1rZXk=',
    'rotated-key-7f3a9c',
    'cm90YXRlZC1rZXktN2YzYTlj',
    'c2VjcmV0LXdlYmhvb2stdG9rZW4=',
    'not a real certificate',
    'another fake certificate',
  ];

  it('shows a changed Secret value as a marker, and neither the old nor the new value anywhere', () => {
    // The values are really in the manifests, base64 and plain: the test would see them if printed.
    expect(shopV1).toContain('bm90LWEtcmVhbC1rZXk=');
    expect(shopRotated).toContain('cm90YXRlZC1rZXktN2YzYTlj');
    const diff = diffManifests(shopV1, shopRotated, { namespace });

    const credentials = diff.objects.find((object) => object.id === 'Secret/shop-app-credentials');
    expect(credentials?.change).toBe('changed');
    expect(credentials?.secretKeys).toEqual([{ field: 'data', key: 'api-key', change: 'changed' }]);
    expect(diffLines(diff, 'Secret/shop-app-credentials').filter((line) => !line.startsWith(' '))).toEqual([
      '-  api-key: (old value)',
      '+  api-key: (changed)',
    ]);
    expect(changes(diff)['Secret/shop-app-tls-bundle']).toBe('unchanged');
    for (const value of secretValues) expect(everythingPrintable(diff)).not.toContain(value);
  });

  it('marks added and removed keys of data and stringData without their values', () => {
    const diff = diffManifests(shopV1, shopKeysEdited, { namespace });

    expect(diff.objects.find((object) => object.id === 'Secret/shop-app-credentials')?.secretKeys).toEqual([
      { field: 'data', key: 'api-key', change: 'changed' },
      { field: 'data', key: 'webhook-token', change: 'added' },
    ]);
    expect(diffLines(diff, 'Secret/shop-app-tls-bundle').filter((line) => !line.startsWith(' '))).toEqual(['-  ca.pem: (removed)', '+  tls.crt: (added)']);
    for (const value of secretValues) expect(everythingPrintable(diff)).not.toContain(value);
  });

  it('marks an unchanged key (unchanged) when something else in the Secret changes', () => {
    const relabelled = shopV1.replace('  name: shop-app-credentials\n', '  name: shop-app-credentials\n  annotations:\n    rotated: "no"\n');
    const diff = diffManifests(shopV1, relabelled, { namespace });

    expect(diffLines(diff, 'Secret/shop-app-credentials')).toContain('   api-key: (unchanged)');
    for (const value of secretValues) expect(everythingPrintable(diff)).not.toContain(value);
  });

  it('hides the values of added and removed Secrets too', () => {
    for (const diff of [diffManifests('', shopRotated, { namespace }), diffManifests(shopRotated, '', { namespace })]) {
      expect(diff.counts.unchanged).toBe(0);
      for (const value of secretValues) expect(everythingPrintable(diff)).not.toContain(value);
    }
  });

  it('hides the values of a Secret inside a List', () => {
    const list = (value: string) =>
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - apiVersion: v1',
        '    kind: Secret',
        '    metadata:',
        '      name: listed',
        '    stringData:',
        `      token: ${value}`,
      ].join('\n');
    const diff = diffManifests(list('old-listed-token'), list('new-listed-token'), { namespace });

    expect(diff.counts.changed).toBe(1);
    expect(formatManifestDiff(diff)).toContain('+      token: (changed)');
    expect(everythingPrintable(diff)).not.toMatch(/listed-token/);
  });

  it.each([
    ['in a real manifest', shopV1.replace('api-key: "bm90LWEtcmVhbC1rZXk="', 'api-key: "bm90LWEtcmVhbC1rZXk=" : oops')],
    ['near its start', 'kind: Secret\ndata:\n  api-key: bm90LWEtcmVhbC1rZXk= : oops\napiVersion: v1\n'],
  ])('does not quote the values of a Secret whose YAML is broken (%s)', (_, broken) => {
    expect(() => diffManifests(broken, shopV1, { namespace })).toThrow(ParseError);
    try {
      diffManifests(broken, shopV1, { namespace });
    } catch (error) {
      expect((error as Error).message).toContain('kind: Secret');
      expect((error as Error).message).not.toContain('bm90LWEtcmVhbC1rZXk=');
      expect(((error as Error).cause as Error).message).not.toContain('bm90LWEtcmVhbC1rZXk=');
    }
  });
});

describe('edge cases', () => {
  it('skips empty documents and documents of comments only', () => {
    const padded = `---\n# Source: slipway-demo/templates/ingress.yaml\n---\n\n---\n${demoV1}\n---\n# just a comment\n`;

    expect(diffManifests(demoV1, padded, { namespace }).counts).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 2 });
  });

  it('reads CRLF manifests like LF ones and keeps carriage returns out of the diff', () => {
    const crlf = (text: string) => text.replaceAll('\n', '\r\n');

    expect(diffManifests(crlf(demoV1), demoV1, { namespace }).counts.changed).toBe(0);
    const diff = diffManifests(crlf(demoV1), crlf(demoV2), { namespace });
    expect(diffLines(diff, deployment)).toContain('+        version: v2');
    expect(formatManifestDiff(diff)).not.toContain('\r');
  });

  it('keeps both copies of an identity that occurs twice, and says so', () => {
    const copy = documentFrom(demoV2Replicas3, 'slipway-demo/templates/deployment.yaml');
    const diff = diffManifests(demoV1, `${demoV2}\n${copy}`, { namespace });

    expect(changes(diff)).toEqual({ [service]: 'unchanged', [deployment]: 'changed', 'Deployment/demo-slipway-demo#2': 'added' });
    expect(diff.duplicates).toEqual([{ manifest: 'rendered', ids: [deployment, 'Deployment/demo-slipway-demo#2'] }]);
    expect(formatManifestDiff(diff)).toContain('+ Deployment/demo-slipway-demo#2 (added)');
    expect(formatManifestDiff(diff)).toContain(
      'note: the rendered manifest has 2 copies of Deployment/demo-slipway-demo, kept apart as Deployment/demo-slipway-demo, Deployment/demo-slipway-demo#2',
    );
  });

  it.each([
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['an error message', 'Error: INSTALLATION FAILED: cannot re-use a name that is still in use'],
    ['broken YAML', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n'],
    ['a mapping that is no Kubernetes object', 'hello: world\n'],
  ])('throws a ParseError for %s', (_, garbage) => {
    expect(() => diffManifests(garbage, demoV1, { namespace })).toThrow(ParseError);
    expect(() => diffManifests(demoV1, garbage, { namespace })).toThrow(/could not parse the rendered manifest/);
    try {
      diffManifests(garbage, demoV1, { namespace });
    } catch (error) {
      expect(error).toMatchObject({ code: 'PARSE_FAILED' });
      expect((error as Error).message).toContain('the live manifest');
      expect((error as Error).message).toContain(JSON.stringify(garbage.slice(0, 20)).slice(1, -1));
    }
  });

  it('quotes only the first 200 characters of what it could not read', () => {
    const long = `not: [a manifest ${'x'.repeat(500)}`;

    expect(() => diffManifests(long, demoV1, { namespace })).toThrow(`${long.slice(0, 200)}…`);
  });
});

describe('formatManifestDiffMarkdown', () => {
  it('puts each changed object in a diff block and the added and removed ones in a table', () => {
    const markdown = formatManifestDiffMarkdown(diffManifests(demoRoutes, demoV2Replicas3, { namespace }));

    expect(markdown).toContain('3 objects change: 1 changed, 2 removed; 1 unchanged');
    expect(markdown).toContain('| removed | `Ingress/demo-slipway-demo` | `slipway-demo/templates/ingress.yaml` |');
    expect(markdown).toContain('`Deployment/demo-slipway-demo` (changed)\n\n```diff\n@@ -9,7 +9,7 @@\n');
    expect(markdown).toContain('\n-        version: v1\n+        version: v2\n');
    expect(markdown).not.toContain('Service/demo-slipway-demo');
    expect(markdown).not.toContain('_Cut to fit');
  });

  it('cuts a long diff to the size asked, says how much, and closes every code block', () => {
    const diff = diffManifests('', shopV1, { namespace });
    const changedEverything = diffManifests(shopV1, reverseKeys(shopV1).replaceAll('slipway-canary-config', 'renamed-chart'), { namespace });
    expect(changedEverything.counts.changed).toBeGreaterThan(5);

    const whole = formatManifestDiffMarkdown(changedEverything);
    const cut = formatManifestDiffMarkdown(changedEverything, { maxChars: 1500 });
    expect(whole.length).toBeGreaterThan(1500);
    expect(cut.length).toBeLessThanOrEqual(1500);
    expect(cut).toMatch(/_Cut to fit the summary: \d+ diff lines, \d+ changed objects not shown at all\. The job log has the whole diff\._$/);
    expect(cut.match(/^```/gm)?.length ?? 0).toBeGreaterThan(0);
    expect((cut.match(/^```/gm)?.length ?? 0) % 2).toBe(0);

    const table = formatManifestDiffMarkdown(diff, { maxChars: 700 });
    expect(table.length).toBeLessThanOrEqual(700);
    expect(table).toMatch(/_Cut to fit the summary: \d+ rows of the table\./);
  });
});

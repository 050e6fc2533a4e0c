import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeObject, splitManifest } from '../../../../packages/core/src/deploy/policy-gate/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/trivy');

describe('splitManifest', () => {
  it('splits what helm template printed into one file per document, named after its template', () => {
    const documents = splitManifest(readFileSync(path.join(fixtures, 'config-root-chart.manifest.yaml'), 'utf8'));
    expect(documents.map((document) => [document.index, document.source, document.file, describeObject(document)])).toEqual([
      [1, 'slipway-root/templates/config.yaml', 'slipway-root/templates/config.yaml', 'ConfigMap/web-app'],
      // A template that renders several documents: later ones get -2, -3, ... before the extension.
      [2, 'slipway-root/templates/config.yaml', 'slipway-root/templates/config-2.yaml', 'ConfigMap/web-feature-flags'],
      [3, 'slipway-root/templates/deployment.yaml', 'slipway-root/templates/deployment.yaml', 'Deployment/web-root'],
    ]);
    // Lines count from the document's first line, Helm's `# Source:` comment.
    const deployment = documents[2]?.text.split('\n') ?? [];
    expect(deployment[0]).toBe('# Source: slipway-root/templates/deployment.yaml');
    expect(deployment[22]).toBe('        - name: app');
    expect(documents[2]?.object).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-root', namespace: undefined });
  });

  it.each<[string, string, string[]]>([
    ['a path that climbs out', '../../etc/passwd', ['etc/passwd.yaml']],
    ['an absolute path', '/abs/templates/x.yaml', ['abs/templates/x.yaml']],
    ['backslashes and odd characters', 'chart\\templates\\we ird@name.yml', ['chart/templates/we_ird_name.yml']],
    ['no YAML extension (Trivy picks Kubernetes files by it)', 'chart/templates/cm.tpl', ['chart/templates/cm.tpl.yaml']],
    ['nothing left after cleaning', '../..', ['manifest-1.yaml']],
  ])('makes a safe relative path of a source: %s', (_, source, files) => {
    const documents = splitManifest(`---\n# Source: ${source}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n`);
    expect(documents.map((document) => document.file)).toEqual(files);
    expect(documents[0]?.source).toBe(source);
  });

  it('names documents without a source, skips empty ones, reads CRLF, `--- # comment` and `...`', () => {
    const manifest = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: first}',
      '--- # a separator with a comment',
      '# only a comment: a template that rendered nothing',
      '',
      '---',
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: second, namespace: team}',
      '...',
      '---',
      'key: value',
      '---',
      'not: [valid',
      '',
    ].join('\r\n');
    const documents = splitManifest(manifest);
    expect(documents.map((document) => [document.index, document.file, describeObject(document)])).toEqual([
      [1, 'manifest-1.yaml', 'ConfigMap/first'],
      [2, 'manifest-2.yaml', 'Secret/second -n team'],
      [3, 'manifest-3.yaml', 'manifest-3.yaml'],
      [4, 'manifest-4.yaml', 'manifest-4.yaml'],
    ]);
    expect(documents[0]?.text).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n');
    expect(documents[2]?.object).toEqual({ apiVersion: undefined, kind: undefined, name: undefined, namespace: undefined });
    expect(documents[3]?.object).toBeUndefined();
  });

  it('never writes a file where another needs a directory, or the reverse', () => {
    const doc = (source: string) => `---\n# Source: ${source}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`;
    const documents = splitManifest(
      [doc('a/b.yaml'), doc('a/b.yaml/c.yaml'), doc('a/b-2.yaml'), doc('x.yaml/y.yaml'), doc('x.yaml'), doc('manifest-2.yaml')].join(''),
    );
    expect(documents.map((document) => document.file)).toEqual(['a/b.yaml', 'manifest-2.yaml', 'a/b-2.yaml', 'x.yaml/y.yaml', 'x-2.yaml', 'manifest-2-2.yaml']);
  });

  it('returns nothing for an empty manifest', () => {
    expect(splitManifest('')).toEqual([]);
    expect(splitManifest('---\n# Source: x/templates/off.yaml\n---\n')).toEqual([]);
  });
});

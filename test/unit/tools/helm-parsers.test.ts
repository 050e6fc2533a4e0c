import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HelmVersionUnsupportedError,
  isPendingHelmStatus,
  lastGoodRevision,
  ParseError,
  parseHelmHistory,
  parseHelmStatus,
  parseHelmTemplateOutput,
  parseHelmValues,
  parseHelmVersion,
  parseToolVersion,
  toSupportedHelmVersion,
  type HelmHistoryEntry,
  type HelmReleaseStatusValue,
} from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/helm');
const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

describe('parseHelmVersion (real outputs of both majors)', () => {
  it.each([
    ['helm3-version-template.txt', '3.18.6', [3, 18, 6], 3],
    ['helm3-version-short.txt', '3.18.6', [3, 18, 6], 3],
    ['helm4-version-template.txt', '4.2.4', [4, 2, 4], 4],
    ['helm4-version-short.txt', '4.2.4', [4, 2, 4], 4],
  ] as const)('%s', (file, text, release, major) => {
    const version = toSupportedHelmVersion(parseHelmVersion(fixture(file)));
    expect(version).toEqual({ text, release, major });
  });

  it('reads the commit suffix official release builds print with --short', () => {
    expect(parseHelmVersion('v3.14.0+g3fc9f4b\n').release).toEqual([3, 14, 0]);
  });

  it('quotes what it could not read', () => {
    expect(() => parseHelmVersion('Client: &version.Version{SemVer:"v2.17.0"}')).toThrow(ParseError);
    expect(() => parseHelmVersion('Client: &version.Version{SemVer:"v2.17.0"}')).toThrow(/Client: &version/);
  });

  it.each(['3.13.3', '2.17.0', '5.0.0'])('refuses Helm %s with exit code 3', (text) => {
    const error = (() => {
      try {
        toSupportedHelmVersion(parseToolVersion(text));
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(HelmVersionUnsupportedError);
    expect(error).toMatchObject({ code: 'HELM_VERSION_UNSUPPORTED', exitCode: 3 });
    expect(String(error)).toContain(`helm ${text} is installed`);
  });

  it('accepts 3.14.0 exactly', () => {
    expect(toSupportedHelmVersion(parseToolVersion('v3.14.0')).major).toBe(3);
  });
});

describe('parseHelmStatus (real outputs)', () => {
  it.each<[string, HelmReleaseStatusValue, number, string | undefined, RegExp]>([
    ['helm3-status-deployed.json', 'deployed', 1, undefined, /^Install complete$/],
    ['helm3-status-failed.json', 'failed', 2, undefined, /context deadline exceeded/],
    ['helm3-status-pending-upgrade.json', 'pending-upgrade', 3, undefined, /^Preparing upgrade$/],
    ['helm4-status-deployed.json', 'deployed', 1, 'ssa', /^Install complete$/],
    ['helm4-status-failed.json', 'failed', 2, 'ssa', /not ready/],
    ['helm4-status-pending-upgrade.json', 'pending-upgrade', 3, 'ssa', /^Preparing upgrade$/],
  ])('%s', (file, status, revision, applyMethod, description) => {
    const parsed = parseHelmStatus(fixture(file));
    expect(parsed).toMatchObject({ name: 'demo', namespace: 'slipway-rec', status, revision, applyMethod });
    expect(parsed.description).toMatch(description);
    expect(parsed.lastDeployed).toMatch(/^2026-/);
    expect(isPendingHelmStatus(parsed.status)).toBe(status === 'pending-upgrade');
  });

  it.each([
    ['not JSON', 'Error: release: not found'],
    ['no info', '{"name":"demo","namespace":"x","version":1}'],
    ['a status Helm does not have', '{"name":"demo","namespace":"x","version":1,"info":{"status":"paused"}}'],
    ['revision 0', '{"name":"demo","namespace":"x","version":0,"info":{"status":"deployed"}}'],
  ])('refuses %s, quoting the output', (_name, text) => {
    expect(() => parseHelmStatus(text)).toThrow(ParseError);
    expect(() => parseHelmStatus(text)).toThrow(text.slice(0, 20).replace(/"/g, '\\"'));
  });

  it('quotes only the first 200 characters of a long output', () => {
    const long = `<html>${'x'.repeat(500)}`;
    const message = (() => {
      try {
        parseHelmStatus(long);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain(long.slice(0, 200));
    expect(message).not.toContain(long.slice(0, 201));
  });
});

describe('parseHelmHistory (real outputs)', () => {
  it.each([
    ['helm3-history-failed.json', ['deployed', 'failed']],
    ['helm4-history-failed.json', ['deployed', 'failed']],
    ['helm3-history-pending-upgrade.json', ['deployed', 'failed', 'pending-upgrade']],
    ['helm4-history-pending-upgrade.json', ['deployed', 'failed', 'pending-upgrade']],
  ])('%s', (file, statuses) => {
    const history = parseHelmHistory(fixture(file));
    expect(history.map((entry) => entry.status)).toEqual(statuses);
    expect(history.map((entry) => entry.revision)).toEqual(statuses.map((_, index) => index + 1));
    expect(history[0]).toMatchObject({ chart: 'slipway-demo-0.1.0', appVersion: '1.0.0', description: 'Install complete' });
    // The recorded failure: the revision before a failed upgrade stays `deployed`, not `superseded`.
    expect(lastGoodRevision(history)).toBe(1);
  });

  it('refuses an entry without a known status, naming it', () => {
    expect(() => parseHelmHistory('[{"revision":1,"status":"deployed"},{"revision":2}]')).toThrow(/entry 1/);
    expect(() => parseHelmHistory('{"revision":1}')).toThrow(ParseError);
  });
});

describe('parseHelmValues', () => {
  it('reads an object, and null (no user values) as {}', () => {
    expect(parseHelmValues('{"replicas":1,"image":{"tag":"1.0.0"}}\n')).toEqual({ replicas: 1, image: { tag: '1.0.0' } });
    expect(parseHelmValues('null\n')).toEqual({});
    expect(() => parseHelmValues('[1]')).toThrow(ParseError);
  });
});

describe('lastGoodRevision', () => {
  const history = (...statuses: (HelmReleaseStatusValue | [number, HelmReleaseStatusValue])[]): HelmHistoryEntry[] =>
    statuses.map((item, index) => {
      const [revision, status] = Array.isArray(item) ? item : [index + 1, item];
      return { revision, status, updated: '', chart: 'c-1', appVersion: '1', description: '' };
    });

  it.each<[string, HelmHistoryEntry[], number | undefined]>([
    ['a failed upgrade after a deployed one (what Helm records)', history('deployed', 'failed'), 1],
    ['skips failed revisions: never simply current-1', history('superseded', 'deployed', 'failed', 'failed'), 2],
    ['a healthy-looking current revision that Slipway failed is not its own target', history('superseded', 'superseded', 'deployed'), 2],
    ['pending-upgrade left by a killed run', history('superseded', 'deployed', 'pending-upgrade'), 2],
    ['pending-rollback and uninstalling are not good', history('superseded', 'pending-rollback', 'uninstalling', 'failed'), 1],
    ['history-max pruned the early revisions', history([8, 'superseded'], [9, 'failed'], [10, 'failed']), 8],
    ['order does not matter', history([3, 'failed'], [1, 'superseded'], [2, 'deployed']), 2],
    ['a failed first install has nothing to go back to', history('failed'), undefined],
    ['only failures', history('failed', 'failed'), undefined],
    ['empty history', [], undefined],
  ])('%s', (_name, entries, expected) => {
    expect(lastGoodRevision(entries)).toBe(expected);
  });
});

describe('parseHelmTemplateOutput', () => {
  it('drops the Pulled/Digest lines Helm 4 prints on stdout for an OCI chart (real output), keeping the manifest', () => {
    const stdout = readFileSync(path.join(fixtures, 'helm4-template-oci.txt'), 'utf8');
    const manifest = parseHelmTemplateOutput(stdout);
    expect(stdout.split('\n')[0]).toMatch(/^Pulled: /);
    expect(manifest.startsWith('---\n# Source: slipway-demo/templates/service.yaml\n')).toBe(true);
    expect(manifest.length).toBe(stdout.length - stdout.indexOf('---'));
  });

  it('leaves a manifest without them unchanged, even one whose values mention Digest:', () => {
    const manifest = '---\n# Source: x/templates/cm.yaml\ndata:\n  note: "Digest: abc"\n';
    expect(parseHelmTemplateOutput(manifest)).toBe(manifest);
  });
});

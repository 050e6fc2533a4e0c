import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findStaleLabels,
  isVersionAtLeast,
  ParseError,
  parseBuildahImageId,
  parseBuildahImageLabels,
  parseBuildahVersionJson,
  parseBuildahVersionText,
  parseBuildxMetadataDigest,
  parseBuildxVersion,
  parseToolVersion,
  parseTrivyVersion,
  ToolNotFoundError,
  Trivy,
} from '@slipway/core';
import { installFakeTrivy, type FakeTrivy } from './fake-trivy.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

describe('tool versions', () => {
  it.each<[string, string, readonly [number, number, number] | undefined]>([
    ['1.28.2', '1.28.2', [1, 28, 2]],
    ['v0.11.2', '0.11.2', [0, 11, 2]],
    ['v0.5.1-docker', '0.5.1-docker', [0, 5, 1]],
    ['0.12.1-desktop.4', '0.12.1-desktop.4', [0, 12, 1]],
    ['3.18', '3.18', [3, 18, 0]],
    // buildx built from a commit reports the commit: a development build.
    ['9872040', '9872040', undefined],
  ])('%s', (printed, text, release) => {
    expect(parseToolVersion(printed)).toEqual({ text, release });
  });

  it.each([
    ['0.10.0', '0.10.0', true],
    ['0.9.1', '0.10.0', false],
    ['0.10.1', '0.10.0', true],
    ['1.0.0', '0.63.0', true],
    ['0.62.9', '0.63.0', false],
    ['9872040', '0.10.0', true],
  ])('%s is at least %s: %s', (version, minimum, expected) => {
    expect(isVersionAtLeast(parseToolVersion(version), minimum)).toBe(expected);
  });
});

describe("parsers on the tools' real output", () => {
  it('buildah version --json and buildah --version (buildah 1.28.2, Debian 12)', () => {
    expect(parseBuildahVersionJson(fixture('buildah/version.json'))).toEqual({
      text: '1.28.2',
      release: [1, 28, 2],
      goVersion: 'go1.19.8',
      buildPlatform: 'linux/amd64',
    });
    expect(parseBuildahVersionText(fixture('buildah/version.txt'))).toMatchObject({ text: '1.28.2', release: [1, 28, 2] });
  });

  it('buildah inspect labels, and which of the wanted ones the layer cache left stale', () => {
    const labels = parseBuildahImageLabels(fixture('buildah/inspect-image.json'));
    expect(labels).toEqual({ 'com.example.team': 'platform', 'io.buildah.version': '1.28.2', 'org.opencontainers.image.revision': 'abc123' });
    expect(findStaleLabels({ 'org.opencontainers.image.revision': 'def456', 'com.example.team': 'platform', 'com.example.new': 'x' }, labels)).toEqual([
      'org.opencontainers.image.revision',
      'com.example.new',
    ]);
    expect(findStaleLabels({ 'com.example.team': 'platform' }, labels)).toEqual([]);
  });

  it('buildah commit --quiet prints the new image id', () => {
    expect(parseBuildahImageId(fixture('buildah/commit-quiet.txt'))).toBe('597d5ad6055db7c59152eb86145d451728e0eded4400100b64b7f9796a3e35ca');
  });

  it('trivy --version --format json, with and without a DB in the cache (Trivy 0.74.0)', () => {
    expect(parseTrivyVersion(fixture('trivy/version.json'))).toEqual({ text: '0.74.0', release: [0, 74, 0], vulnerabilityDb: undefined });
    expect(parseTrivyVersion(fixture('trivy/version-with-db.json')).vulnerabilityDb).toEqual({ version: 2, updatedAt: '2026-11-24T19:23:18.038769981Z' });
  });

  it('docker buildx version (as Docker documents it)', () => {
    expect(parseBuildxVersion('github.com/docker/buildx v0.11.2 9872040b6626fb7d87ef7296fd5b832e8cc2ad17\n')).toEqual({
      text: '0.11.2',
      release: [0, 11, 2],
      revision: '9872040b6626fb7d87ef7296fd5b832e8cc2ad17',
    });
  });

  it.each([
    ['buildah version --json', () => parseBuildahVersionJson('buildah version 1.28.2')],
    ['buildah --version', () => parseBuildahVersionText('Usage: buildah [flags]')],
    ['buildah inspect output', () => parseBuildahImageLabels('{"Type":"buildah 0.0.1"}')],
    ['buildah image id', () => parseBuildahImageId('Error: no such container\n')],
    ['trivy --version --format json', () => parseTrivyVersion('Version: 0.74.0\n')],
    ['docker buildx version', () => parseBuildxVersion("docker: 'buildx' is not a docker command.")],
    ['buildx metadata file', () => parseBuildxMetadataDigest('{"buildx.build.ref":"x"}')],
  ])('output that is not what %s prints is a ParseError quoting it', (what, parse) => {
    expect(parse).toThrow(ParseError);
    expect(parse).toThrow(`could not parse ${what}`);
  });
});

describe('the Trivy adapter', () => {
  let fake: FakeTrivy;
  beforeAll(() => {
    fake = installFakeTrivy();
  });
  afterAll(() => fake.cleanup());

  it('asks the version once, however often it is wanted', async () => {
    const before = fake.calls().length;
    const trivy = new Trivy(fake.runner({ FAKE_TRIVY_VERSION: '0.70.0' }));
    const [a, b] = await Promise.all([trivy.version(), trivy.version()]);
    await trivy.requireVersion('v0.70.0');
    expect(a).toEqual(b);
    expect(a.text).toBe('0.70.0');
    expect(fake.calls().length - before).toBe(1);
  });

  it('a missing binary is ToolNotFoundError, and the failed probe is not remembered', async () => {
    const trivy = new Trivy(fake.runner(), '/nonexistent/trivy');
    await expect(trivy.version()).rejects.toThrow(ToolNotFoundError);
    await expect(trivy.version()).rejects.toThrow(ToolNotFoundError);
  });
});

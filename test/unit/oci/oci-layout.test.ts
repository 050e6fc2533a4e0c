import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValidDigest, isValidRepository, isValidTag, LayoutError, parseImageName, readImageConfigs, readOciLayoutIndex } from '@slipway/core';

const fixture = path.resolve(import.meta.dirname, '../../fixtures/oci/tiny');
const digest = readFileSync(`${fixture}.digest`, 'utf8').trim();

function copyFixture(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-layout-'));
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

describe('OCI layout reading (a layout written by buildah)', () => {
  it('lists the manifest buildah reported, under its ref name', async () => {
    const entries = await readOciLayoutIndex(fixture);
    expect(entries).toEqual([expect.objectContaining({ digest, refName: '1.0.0', mediaType: 'application/vnd.oci.image.manifest.v1+json' })]);
  });

  it('reads the labels and platform from the config', async () => {
    const [config] = await readImageConfigs(fixture, digest);
    expect(config).toMatchObject({ manifestDigest: digest, platform: 'linux/amd64' });
    expect(config?.labels).toMatchObject({ 'org.opencontainers.image.title': 'tiny', 'com.example.fixture': 'yes' });
  });

  it('refuses a blob whose bytes do not match its digest', async () => {
    const dir = copyFixture();
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'blobs/sha256', digest.slice(7)), 'utf8'));
      writeFileSync(path.join(dir, 'blobs/sha256', manifest.config.digest.slice(7)), '{"tampered":true}');
      await expect(readImageConfigs(dir, digest)).rejects.toThrow(/is corrupt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['no oci-layout marker', (dir: string) => rmSync(path.join(dir, 'oci-layout')), /oci-layout file not found/],
    ['index.json that is not JSON', (dir: string) => writeFileSync(path.join(dir, 'index.json'), 'nope'), /could not parse index.json/],
    ['index without manifests', (dir: string) => writeFileSync(path.join(dir, 'index.json'), '{}'), /has no manifests list/],
  ])('rejects a layout with %s', async (_, breakIt, message) => {
    const dir = copyFixture();
    try {
      breakIt(dir);
      await expect(readOciLayoutIndex(dir)).rejects.toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing layout directory as a layout error (exit 2)', async () => {
    const error = await readOciLayoutIndex('/nonexistent/layout').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayoutError);
    expect((error as LayoutError).exitCode).toBe(2);
  });
});

describe('OCI names', () => {
  it.each([
    ['team/api', { repository: 'team/api' }],
    ['myacr.azurecr.io/team/api', { registry: 'myacr.azurecr.io', repository: 'team/api' }],
    ['localhost:5000/a', { registry: 'localhost:5000', repository: 'a' }],
    ['127.0.0.1:5443/a/b-c__d', { registry: '127.0.0.1:5443', repository: 'a/b-c__d' }],
    ['Team/api', undefined],
    ['team/api:1.0', undefined],
    ['team//api', undefined],
    ['team/api@sha256:abc', undefined],
  ])('parseImageName(%s)', (name, expected) => expect(parseImageName(name)).toEqual(expected));

  it.each([
    ['1.0.0', true],
    ['_x', true],
    ['-x', false],
    ['.x', false],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['a+b', false],
  ])('isValidTag(%s) = %s', (tag, ok) => expect(isValidTag(tag)).toBe(ok));

  it('validates repositories and digests', () => {
    expect(isValidRepository('a/b.c/d-e')).toBe(true);
    expect(isValidRepository('a/-b')).toBe(false);
    expect(isValidDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isValidDigest('sha256:ABC')).toBe(false);
  });
});

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputProblems, parseInputs, pushSpec, validatePushInputs } from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const tinyDigest = readFileSync(path.join(fixtures, 'oci', 'tiny.digest'), 'utf8').trim();
const otherDigest = `sha256:${'b'.repeat(64)}`;
const tenant = '11111111-2222-3333-4444-555555555555';
const client = '66666666-7777-8888-9999-000000000000';
const signIn = { auth: 'client-secret', 'tenant-id': tenant, 'client-id': client, 'client-secret': 's3cret' };
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-push-validate-'));
  cpSync(path.join(fixtures, 'oci', 'tiny'), path.join(workspace, 'tiny'), { recursive: true });
  // A layout holding two images: push must be told which.
  mkdirSync(path.join(workspace, 'two'));
  writeFileSync(path.join(workspace, 'two', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifest = (digest: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 499 });
  writeFileSync(path.join(workspace, 'two', 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifest(tinyDigest), manifest(otherDigest)] }));
  mkdirSync(path.join(workspace, 'broken'));
  writeFileSync(path.join(workspace, 'broken', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(workspace, 'broken', 'index.json'), '{"manifests": "none"}');
  mkdirSync(path.join(workspace, 'not-a-layout'));
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

async function validate(raw: Record<string, string>, options: { federatedTokens?: boolean } = {}) {
  const problems = new InputProblems();
  const values = parseInputs(pushSpec.inputs, (name) => raw[name], problems);
  const inputs = await validatePushInputs(values, { workspace, tempDir: path.join(workspace, '.temp'), env: {}, problems, ...options });
  return { inputs, problems: problems.list };
}

async function valid(raw: Record<string, string>) {
  const { inputs, problems } = await validate(raw);
  expect(problems).toEqual([]);
  return inputs;
}

const buildImages = (entries: unknown[]) => JSON.stringify(entries);
const entry = (overrides: Record<string, unknown> = {}) => ({
  name: 'acr.example.io/team/api',
  layout: 'tiny',
  digest: tinyDigest,
  tags: ['acr.example.io/team/api:1.0'],
  ...overrides,
});

describe('validatePushInputs', () => {
  it('pushes one layout, taking its only image and plain or full tags', async () => {
    const inputs = await valid({ layout: 'tiny', image: 'acr.example.io/team/api', tags: '1.0,acr.example.io/team/api:latest', ...signIn });
    expect(inputs.images).toEqual([
      { layout: path.join(workspace, 'tiny'), digest: tinyDigest, registry: 'acr.example.io', repository: 'team/api', tags: ['1.0', 'latest'] },
    ]);
    expect(inputs.auth).toMatchObject({ method: 'client-secret', tenantId: tenant, clientId: client, authorityHost: 'https://login.microsoftonline.com' });
    expect(inputs.retention).toBeUndefined();
  });

  it("pushes the build's images JSON, to another registry when given", async () => {
    const inputs = await valid({ images: buildImages([entry({ platforms: ['linux/amd64'] })]), registry: 'promoted.azurecr.io', ...signIn });
    expect(inputs.images).toEqual([expect.objectContaining({ registry: 'promoted.azurecr.io', repository: 'team/api', digest: tinyDigest, tags: ['1.0'] })]);
  });

  it('chooses one image of a layout with digest, and turns retention on with keep-tags', async () => {
    const inputs = await valid({
      layout: 'two',
      image: 'acr.example.io/a',
      tags: '1',
      digest: otherDigest,
      'keep-tags': '5',
      'keep-tags-matching': '^sha-',
      ...signIn,
    });
    expect(inputs.images[0]?.digest).toBe(otherDigest);
    expect(inputs.retention).toEqual({ keep: 5, pattern: /^sha-/, dryRun: true });
  });

  it('signs in with a managed identity or the default chain without more inputs', async () => {
    expect((await validate({ layout: 'tiny', image: 'acr.example.io/a', tags: '1', auth: 'managed-identity' })).problems).toEqual([]);
    expect((await validate({ layout: 'tiny', image: 'acr.example.io/a', tags: '1' })).problems).toEqual([]);
  });

  it.each<[string, Record<string, string>, string, string]>([
    [
      'a registry that is not a host',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', registry: 'https://acr.example.io/x' },
      'registry',
      'is not a registry host',
    ],
    ['no layout', { image: 'acr.example.io/a', tags: '1' }, 'layout', 'give the layout to push'],
    ['no image', { layout: 'tiny', tags: '1' }, 'image', 'is required with layout'],
    ['a name breaking OCI naming', { layout: 'tiny', image: 'acr.example.io/Team/API', tags: '1' }, 'image', 'is not a valid image name'],
    ['a name without registry', { layout: 'tiny', image: 'team/api', tags: '1' }, 'registry', 'names no registry'],
    ['a missing layout', { layout: '/nonexistent/layout', image: 'acr.example.io/a', tags: '1' }, 'layout', 'does not exist'],
    ['a folder that is not a layout', { layout: 'not-a-layout', image: 'acr.example.io/a', tags: '1' }, 'layout', 'is not an OCI image layout'],
    ['a layout whose index has no manifests', { layout: 'broken', image: 'acr.example.io/a', tags: '1' }, 'layout', 'has no manifests list'],
    ['no tags', { layout: 'tiny', image: 'acr.example.io/a' }, 'tags', 'at least one tag is needed'],
    ['duplicate tags', { layout: 'tiny', image: 'acr.example.io/a', tags: '1.0,1.0' }, 'tags', "tag '1.0' is listed twice"],
    ['an invalid tag', { layout: 'tiny', image: 'acr.example.io/a', tags: 'ok,-bad' }, 'tags', "'-bad' is not a valid OCI tag"],
    ['a reference to another image', { layout: 'tiny', image: 'acr.example.io/a', tags: 'acr.example.io/b:1' }, 'tags', 'a reference to another image'],
    ['a malformed digest', { layout: 'tiny', image: 'acr.example.io/a', tags: '1', digest: 'sha256:abc' }, 'digest', 'is not a sha256 digest'],
    // Before: signed in first, then failed with OCI_LAYOUT_INVALID naming no input.
    ['a digest the layout does not hold', { layout: 'tiny', image: 'acr.example.io/a', tags: '1', digest: otherDigest }, 'digest', 'does not contain'],
    ['a layout with two images and no digest', { layout: 'two', image: 'acr.example.io/a', tags: '1' }, 'digest', 'holds 2 images'],
    // Before: only checked when keep-tags > 0.
    [
      'a retention pattern that is not a regex, with keep-tags 0',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', 'keep-tags-matching': '(' },
      'keep-tags-matching',
      'is not a regular expression',
    ],
    ['a huge keep-tags', { layout: 'tiny', image: 'acr.example.io/a', tags: '1', 'keep-tags': '99999999999999999999' }, 'keep-tags', 'is too large'],
    ['images JSON that is not JSON', { images: '- name: a' }, 'images', 'is not JSON'],
    ['an empty images array', { images: '[]' }, 'images', 'must be a non-empty JSON array'],
    ['images together with layout', { images: buildImages([entry()]), layout: 'tiny' }, 'images', 'give either images (from build) or layout'],
    ['images together with tags', { images: buildImages([entry()]), tags: 'x' }, 'images', 'or tags, not both'],
    ['an entry that is not an object', { images: '[1]' }, 'images[0]', 'must be an object'],
    ['an entry without a layout', { images: buildImages([entry({ layout: undefined })]) }, 'images[0].layout', 'is required'],
    ['an entry whose tags are not a list', { images: buildImages([entry({ tags: 'x' })]) }, 'images[0].tags', 'must be a list of strings'],
    ['a numeric digest (accepted before)', { images: buildImages([entry({ digest: 123 })]) }, 'images[0].digest', 'must be a string, not 123'],
    ['a digest the entry layout does not hold', { images: buildImages([entry({ digest: otherDigest })]) }, 'images[0].digest', 'does not contain'],
    ['a name with a newline from a JSON escape', { images: buildImages([entry({ name: 'acr.example.io/a\nb' })]) }, 'images[0].name', 'U+000A'],
    ['a layout with a NUL from a JSON escape', { images: buildImages([entry({ layout: 'tiny\u0000' })]) }, 'images[0].layout', 'U+0000'],
    [
      'the same entry twice (accepted before)',
      { images: buildImages([entry(), entry()]) },
      'images[1].tags',
      'pushes acr.example.io/team/api:1.0 again (also images[0])',
    ],
    // Sign-in data that is certain to fail is refused before anything is contacted.
    [
      'auth client-secret with an empty tenant',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', auth: 'client-secret', 'tenant-id': '', 'client-id': client, 'client-secret': 's' },
      'tenant-id',
      'is required with auth client-secret',
    ],
    [
      'auth client-secret without a secret',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', auth: 'client-secret', 'tenant-id': tenant, 'client-id': client },
      'client-secret',
      'is required with auth client-secret',
    ],
    [
      'a client secret but no client id (auth auto)',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', 'tenant-id': tenant, 'client-secret': 's' },
      'client-id',
      'is required with client-secret',
    ],
    [
      'a multi-line authority host (passed the URL check before)',
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', 'authority-host': 'https://login.example\n.evil/' },
      'authority-host',
      'single line',
    ],
  ])('%s', async (_, raw, input, message) => {
    const { problems } = await validate(raw);
    expect(problems).toContainEqual(expect.objectContaining({ input, message: expect.stringContaining(message) }));
  });

  it('refuses auth oidc on a host that cannot mint ID tokens', async () => {
    const { problems } = await validate(
      { layout: 'tiny', image: 'acr.example.io/a', tags: '1', auth: 'oidc', 'tenant-id': tenant, 'client-id': client },
      { federatedTokens: false },
    );
    expect(problems).toEqual([expect.objectContaining({ input: 'auth', message: 'oidc needs a host that can mint ID tokens' })]);
  });

  it('reports a problem in every entry of images, each naming its entry', async () => {
    const { problems } = await validate({
      images: buildImages([entry({ tags: ['-x'] }), entry({ name: 'acr.example.io/Bad', tags: ['1.0'] }), entry({ digest: 7 })]),
      ...signIn,
    });
    expect(problems.map((problem) => problem.input).sort()).toEqual(['images[0].tags', 'images[1].name', 'images[2].digest']);
  });
});

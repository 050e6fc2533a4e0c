import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep } from '@slipway/core';
import { FakeHost } from '../../support/fake-host.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const otherDigest = `sha256:${'b'.repeat(64)}`;
let workspace: string;
let tempDir: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-run-step-'));
  tempDir = path.join(workspace, '.runner-temp');
  mkdirSync(tempDir);
  mkdirSync(path.join(workspace, 'hello'));
  writeFileSync(path.join(workspace, 'hello', 'Dockerfile'), 'FROM scratch\n');
  writeFileSync(path.join(workspace, 'hello', 'server.sh'), 'echo hi\n');
  cpSync(path.join(fixtures, 'oci', 'tiny'), path.join(workspace, 'layout'), { recursive: true });
  cpSync(path.join(fixtures, 'trivy', 'sandbox-app-vuln.json'), path.join(workspace, 'report.json'));
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

async function run(stepId: string, inputs: Record<string, string>) {
  const host = new FakeHost({ inputs, workspace, tempDir, env: { HOME: workspace } });
  const outcome = await runStep(host, stepId);
  return { host, outcome };
}

describe('runStep validates every input once, before anything runs', () => {
  it('reports three bad build inputs together, each on its own line naming its input, and exits 2 before git runs', async () => {
    const { host, outcome } = await run('build', { image: 'Bad Name', context: 'hello', 'no-cache': 'maybe', 'build-args': 'NODE_VERSION' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.code).toBe('INPUT_INVALID');
    expect(outcome.error?.message.split('\n')).toEqual([
      expect.stringMatching(/^input 'build-args': expected KEY=VALUE/),
      expect.stringMatching(/^input 'no-cache': expected true or false/),
      expect.stringMatching(/^input 'image': 'Bad Name' is not a valid image name/),
    ]);
    expect(host.logged('error').join('\n')).toContain("input 'no-cache'");
    expect(host.ciContextCalls).toBe(0);
    expect(existsSync(path.join(tempDir, 'slipway-oci'))).toBe(false);
  });

  it('refuses tag-rules none without tags before git or a builder runs', async () => {
    const { host, outcome } = await run('build', { image: 'hello', context: 'hello', 'tag-rules': 'none' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'tags': no tag can result");
    expect(host.ciContextCalls).toBe(0);
    expect(host.logged('command')).toEqual([]);
  });

  it('refuses a NUL inside a YAML build-arg value naming it, instead of a TypeError after git', async () => {
    const { host, outcome } = await run('build', { images: '- name: hello\n  context: hello\n  build-args: {A: "x\\0y"}\n', tags: 'v1' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'images[0].build-args.A'");
    expect(host.ciContextCalls).toBe(0);
  });

  it('never empties the source folder an image layout would land on (--context hello --output-dir .)', async () => {
    const { outcome } = await run('build', { image: 'hello', context: 'hello', 'output-dir': '.', tags: 'v1' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'output-dir'");
    expect(readdirSync(path.join(workspace, 'hello')).sort()).toEqual(['Dockerfile', 'server.sh']);
  });

  it('refuses a push authority-host with a line break, which the URL check used to let through', async () => {
    const { outcome } = await run('push', {
      layout: 'layout',
      image: 'acr.example.io/team/api',
      tags: '1',
      'authority-host': 'https://login.example.test\n.evil.test',
    });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toMatch(/^input 'authority-host': must be a single line/);
  });

  it('refuses a push digest the layout does not hold, naming digest, before signing in', async () => {
    const { host, outcome } = await run('push', { layout: 'layout', image: 'acr.example.io/team/api', tags: '1', digest: otherDigest });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'digest'");
    expect(host.logged('info').some((line) => line.includes('signing in'))).toBe(false);
  });

  it('refuses incomplete sign-in data (a client secret with an empty tenant id) before git or Entra ID', async () => {
    const { host, outcome } = await run('push', {
      layout: 'layout',
      image: 'acr.example.io/team/api',
      tags: '1',
      'tenant-id': '',
      'client-id': '66666666-7777-8888-9999-000000000000',
      'client-secret': 'a-client-secret-value',
    });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toBe("input 'tenant-id': is required with client-secret (auth auto signs in with it)");
    expect(host.ciContextCalls).toBe(0);
  });

  it('refuses a SARIF path below a file with exit 2 naming sarif-file, not an EEXIST stack', async () => {
    const { outcome } = await run('scan', { report: 'report.json', 'sarif-file': '/etc/passwd/x.sarif' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.code).toBe('INPUT_INVALID');
    expect(outcome.error?.message).toContain("input 'sarif-file'");
  });

  it('refuses a scan timeout that used to reach Trivy as 3.6e+23s', async () => {
    const { outcome } = await run('scan', { report: 'report.json', timeout: '99999999999999999999h' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'timeout'");
  });

  it('refuses a malformed client-id on a scan that would not use it', async () => {
    const { outcome } = await run('scan', { report: 'report.json', 'client-id': 'not-a-guid' });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error?.message).toContain("input 'client-id'");
  });

  it('still runs the step when every input is valid', async () => {
    const { outcome, host } = await run('scan', { report: 'report.json', 'fail-on': 'none', 'json-file': 'out/trivy.json' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(path.join(workspace, 'out', 'trivy.json'), 'utf8'))).toHaveProperty('SchemaVersion', 2);
    expect(host.outputs.passed).toBe('true');
  });
});

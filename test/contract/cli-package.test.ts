/**
 * The CLI as a user gets it: `npm pack` of packages/cli (whose prepack builds the bundle), installed
 * globally into a temporary prefix with `--offline`, so the install proves the package needs nothing
 * from a registry, then run from that prefix, far from this repository and its node_modules.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOciLayoutIndex, steps } from '@slipway/core';
import { createBuildahEnv, hasBuildah, type BuildahEnv } from '../support/buildah-env.ts';
import { repoRoot, runProcess } from '../support/host-harness.ts';

const cliPackage = JSON.parse(readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { name: string; version: string };

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

let work: string;
let tarball: PackResult;
let prefix: string;
let slipway: string;

/** npm with an isolated cache and config, so the machine's npm settings and cache cannot help the install. */
function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      npm_config_cache: path.join(work, 'npm-cache'),
      npm_config_userconfig: path.join(work, 'npmrc'),
      npm_config_update_notifier: 'false',
    },
  });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-package-'));
  const packed = JSON.parse(npm(['pack', './packages/cli', '--pack-destination', work, '--json'], repoRoot)) as PackResult[];
  tarball = packed[0] as PackResult;
  prefix = path.join(work, 'prefix');
  npm(['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', path.join(work, tarball.filename)], work);
  slipway = path.join(prefix, 'bin', 'slipway');
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed CLI', () => {
  it('is a tarball of the launcher and the built bundle, without TypeScript sources', () => {
    expect(tarball.filename).toBe(`slipway-cli-${cliPackage.version}.tgz`);
    const files = tarball.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/slipway.mjs', 'dist/slipway.mjs', 'dist/index.mjs', 'dist/THIRD-PARTY-NOTICES.txt']));
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
  });

  it('installs offline and prints its version', async () => {
    const run = await runProcess(slipway, ['--version'], {}, work);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(cliPackage.version);
  });

  it('exports its API from the bundle once installed', async () => {
    const run = await runProcess(
      process.execPath,
      ['--input-type=module', '-e', `const cli = await import('${cliPackage.name}'); console.log(typeof cli.main, typeof cli.parseArgv)`],
      {},
      path.join(prefix, 'lib'),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('function function');
  });

  it('runs the scan gate on a Trivy report: exit 1 and the counts in --json', async () => {
    const run = await runProcess(slipway, ['scan', '--report', path.join(repoRoot, 'test/fixtures/trivy/sandbox-app-vuln.json'), '--json'], {}, work);
    expect(run.exitCode, run.stderr).toBe(1);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({ step: 'scan', exitCode: 1, outcome: 'gate-failed' });
    expect(document.result.counts).toEqual({ UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 1 });
    expect(document.outputs.reason).toBe('CRITICAL>0 broken: 1 CRITICAL finding(s); HIGH>0 broken: 1 HIGH finding(s)');
  });

  it("answers --version, help and invalid input without the steps' run code or the Azure SDKs", async () => {
    // A copy of the installed package without every file that holds run code or an Azure SDK: if the
    // start-up path imported any of them, these commands would fail with ERR_MODULE_NOT_FOUND.
    const stripped = path.join(work, 'stripped');
    cpSync(path.join(prefix, 'lib/node_modules', cliPackage.name), stripped, { recursive: true });
    const removed = readdirSync(path.join(stripped, 'dist')).filter((name) => {
      const text = readFileSync(path.join(stripped, 'dist', name), 'utf8');
      return name.startsWith('run-') || text.includes('ManagedIdentityCredential') || text.includes('ContainerRegistryContentClient');
    });
    // One run chunk per step, and the SDK chunks besides.
    const stepCount = Object.keys(steps).length;
    expect(removed.filter((name) => name.startsWith('run-'))).toHaveLength(stepCount);
    expect(removed.length).toBeGreaterThan(stepCount);
    for (const name of removed) rmSync(path.join(stripped, 'dist', name));
    const cli = (args: string[]) => runProcess(process.execPath, [path.join(stripped, 'bin/slipway.mjs'), ...args], {}, work);

    expect((await cli(['--version'])).stdout.trim()).toBe(cliPackage.version);
    const help = await cli(['push', '--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('--client-id');
    const invalid = await cli(['push', '--layout', path.join(work, 'no-such-layout'), '--image', 'example.azurecr.io/team/api', '--tags', '1', '--json']);
    expect(invalid.exitCode, invalid.stderr).toBe(2);
    expect(JSON.parse(invalid.stdout).error).toMatchObject({ code: 'INPUT_INVALID' });
  });

  describe.runIf(hasBuildah())('with buildah', () => {
    let buildah: BuildahEnv;
    beforeAll(() => {
      buildah = createBuildahEnv();
    }, 120_000);
    afterAll(() => buildah?.cleanup());

    it('builds a two-stage image into an OCI layout', async () => {
      const workspace = mkdtempSync(path.join(work, 'ws-'));
      cpSync(path.join(repoRoot, 'test/fixtures/apps/hello'), workspace, { recursive: true });
      const run = await runProcess(
        slipway,
        ['build', '--image', 'localhost/packaged-cli', '--context', '.', '--target', 'runtime', '--tags', 'packaged', '--json'],
        { ...buildah.env, TMPDIR: work },
        workspace,
      );
      expect(run.exitCode, run.stderr).toBe(0);
      const document = JSON.parse(run.stdout);
      expect(document.outputs.builder).toBe('buildah');
      expect(document.outputs.tags).toBe('localhost/packaged-cli:packaged');
      const entries = await readOciLayoutIndex(document.outputs.layout);
      expect(entries.map((entry) => entry.digest)).toContain(document.outputs.digest);
    });
  });
});

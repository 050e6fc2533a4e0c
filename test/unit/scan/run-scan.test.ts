import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecError, parseFailOn, runScan, TrivyVersionMismatchError, type ScanInputs } from '@slipway/core';
import { installFakeTrivy, type FakeTrivy } from '../tools/fake-trivy.ts';
import { stepDepsForTests } from '../tools/step-deps-for-tests.ts';

// runScan end to end against a fake `trivy` on PATH: what it leaves in the temp dir (issue #9: empty
// slipway-scan-* directories after every run), what reaches Trivy, and the verdict.
const fixture = path.resolve(import.meta.dirname, '../../fixtures/trivy/sandbox-app-vuln.json');
let fake: FakeTrivy;
let work: string;
let tempDir: string;
let cacheDir: string;

beforeEach(() => {
  fake = installFakeTrivy();
  work = mkdtempSync(path.join(os.tmpdir(), 'slipway-run-scan-'));
  tempDir = path.join(work, 'temp');
  mkdirSync(tempDir);
  // A fresh DB, so the supply never downloads.
  cacheDir = path.join(work, 'cache');
  mkdirSync(path.join(cacheDir, 'db'), { recursive: true });
  writeFileSync(path.join(cacheDir, 'db', 'trivy.db'), 'db');
  writeFileSync(
    path.join(cacheDir, 'db', 'metadata.json'),
    JSON.stringify({ Version: 2, UpdatedAt: '2026-11-24T00:00:00Z', NextUpdate: '2026-11-25T00:00:00Z' }),
  );
});
afterEach(() => {
  fake.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function inputs(overrides: Partial<ScanInputs> = {}): ScanInputs {
  return {
    target: { kind: 'layout', path: path.join(work, 'layout') },
    registryAuth: undefined,
    scanners: ['vuln'],
    clauses: parseFailOn('CRITICAL>0'),
    ignoreUnfixed: false,
    ignoreRules: [],
    ignoreFile: undefined,
    shownSeverities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    jsonFile: undefined,
    sarifFile: undefined,
    junitFile: undefined,
    cyclonedxFile: undefined,
    db: { repositories: ['mirror.example/trivy-db:2'], retries: 1, cacheDir, offline: false, maxAgeMs: 0 },
    trivyVersion: undefined,
    insecureRegistry: false,
    timeoutMs: 60_000,
    ...overrides,
  };
}

const scan = (given: ScanInputs, env: Record<string, string> = {}) => {
  const recorded = stepDepsForTests(fake.runner({ FAKE_TRIVY_REPORT: fixture, ...env }), tempDir);
  return { recorded, result: runScan(given, recorded.deps) };
};

describe('runScan leaves nothing behind in the temp dir but its report', () => {
  it('a given report: the temp dir stays empty', async () => {
    const { result } = scan(inputs({ target: { kind: 'report', path: fixture, text: readFileSync(fixture, 'utf8') } }));
    expect((await result).summary.counts.CRITICAL).toBe(1);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('a scan with json-file: the report is there and the temp dir stays empty', async () => {
    const jsonFile = path.join(work, 'reports', 'trivy.json');
    const { result } = scan(inputs({ jsonFile }));
    expect((await result).files.json).toBe(jsonFile);
    expect(JSON.parse(readFileSync(jsonFile, 'utf8')).ArtifactName).toBe('sandbox-app');
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('a scan without json-file: its report is the one file in the temp dir (the json-report output)', async () => {
    const { files, summary } = await scan(inputs()).result;
    expect(summary.decision.passed).toBe(false);
    expect(readdirSync(tempDir)).toEqual([path.basename(files.json)]);
    expect(path.dirname(files.json)).toBe(tempDir);
  });

  it('a failed scan removes its unfinished report and fails with the tool error', async () => {
    await expect(scan(inputs(), { FAKE_TRIVY_SCAN_FAIL: '1' }).result).rejects.toThrow(ExecError);
    expect(readdirSync(tempDir)).toEqual([]);
  });
});

describe('runScan drives Trivy through its adapter', () => {
  it('refuses a Trivy other than the pinned trivy-version before scanning (exit 3)', async () => {
    const attempt = scan(inputs({ trivyVersion: '0.69.1' })).result;
    await expect(attempt).rejects.toThrow(TrivyVersionMismatchError);
    await expect(attempt).rejects.toMatchObject({
      code: 'TRIVY_VERSION_MISMATCH',
      exitCode: 3,
      message: 'trivy 0.74.0 is installed but trivy-version requires 0.69.1',
    });
    expect(fake.calls().map((call) => call.args[0])).toEqual(['--version']);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('registry credentials reach Trivy in its environment, masked, never in argv', async () => {
    const { recorded, result } = scan(
      inputs({
        target: { kind: 'image', reference: 'registry.example/team/api:1' },
        registryAuth: { kind: 'basic', username: 'puller', password: 's3cret-pa55word' },
      }),
    );
    await result;
    const scanCall = fake.calls().find((call) => call.args[0] === 'image');
    expect(scanCall?.env).toMatchObject({ TRIVY_USERNAME: 'puller', TRIVY_PASSWORD: 's3cret-pa55word', TRIVY_SKIP_VERSION_CHECK: 'true' });
    expect(scanCall?.args).toEqual(expect.arrayContaining(['--image-src', 'remote', 'registry.example/team/api:1']));
    expect(scanCall?.args.join(' ')).not.toContain('s3cret');
    expect(recorded.secrets).toContain('s3cret-pa55word');
  });

  it('an older Trivy gets only the flags it knows (no --skip-version-check before 0.63)', async () => {
    const { result } = scan(inputs(), { FAKE_TRIVY_VERSION: '0.58.2' });
    expect((await result).summary.trivyVersion).toBe('0.58.2');
    const scanCall = fake.calls().find((call) => call.args[0] === 'image');
    expect(scanCall?.args).not.toContain('--skip-version-check');
    expect(scanCall?.args).toContain('--quiet');
  });

  it('a CycloneDX SBOM is converted from the JSON report by Trivy', async () => {
    const sbom = path.join(work, 'reports', 'sbom.cdx.json');
    const { files } = await scan(inputs({ cyclonedxFile: sbom })).result;
    expect(files.sbom).toBe(sbom);
    expect(existsSync(sbom)).toBe(true);
    expect(fake.calls().find((call) => call.args[0] === 'image')?.args).toContain('--list-all-pkgs');
    expect(fake.calls().find((call) => call.args[0] === 'convert')?.args).toEqual(['convert', '--format', 'cyclonedx', '--output', sbom, files.json]);
  });

  it('asks Trivy its version once per scan', async () => {
    await scan(inputs({ cyclonedxFile: path.join(work, 'sbom.json') })).result;
    expect(fake.calls().filter((call) => call.args[0] === '--version')).toHaveLength(1);
  });
});

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputProblems, parseInputs, scanSpec, validateScanInputs } from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
const tenant = '11111111-2222-3333-4444-555555555555';
const client = '66666666-7777-8888-9999-000000000000';
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'slipway-scan-validate-'));
  cpSync(path.join(fixtures, 'oci', 'tiny'), path.join(workspace, 'layout'), { recursive: true });
  cpSync(path.join(fixtures, 'trivy', 'sandbox-app-vuln.json'), path.join(workspace, 'report.json'));
  writeFileSync(path.join(workspace, 'not-json.json'), 'Total: 3 (HIGH: 3)\n');
  writeFileSync(path.join(workspace, 'bad-date.trivyignore'), 'CVE-2099-1002 exp:2026-02-31\n');
  writeFileSync(path.join(workspace, 'ok.trivyignore'), 'CVE-2099-1002 exp:2026-02-28\n');
  mkdirSync(path.join(workspace, 'reports'));
  writeFileSync(path.join(workspace, 'a-file'), 'x');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function validate(raw: Record<string, string>, env: Record<string, string> = { HOME: '/home/runner' }) {
  const problems = new InputProblems();
  const values = parseInputs(scanSpec.inputs, (name) => raw[name], problems);
  const inputs = validateScanInputs(values, { workspace, tempDir: path.join(workspace, '.temp'), env, problems });
  return { inputs, problems: problems.list };
}

function valid(raw: Record<string, string>, env?: Record<string, string>) {
  const { inputs, problems } = validate(raw, env);
  expect(problems).toEqual([]);
  return inputs;
}

describe('validateScanInputs', () => {
  it('scans a layout with the defaults: vuln scanner, CRITICAL>0,HIGH>0, DB in ~/.cache/trivy', () => {
    const inputs = valid({ layout: 'layout' });
    expect(inputs.target).toEqual({ kind: 'layout', path: path.join(workspace, 'layout') });
    expect(inputs.scanners).toEqual(['vuln']);
    expect(inputs.clauses.map((clause) => clause.text)).toEqual(['CRITICAL>0', 'HIGH>0']);
    expect(inputs.db).toMatchObject({ cacheDir: '/home/runner/.cache/trivy', retries: 3, maxAgeMs: 168 * 3_600_000 });
    expect(inputs.registryAuth).toBeUndefined();
  });

  it('gates an existing report, with shown severities in any case and an ignore file', () => {
    const inputs = valid({ report: 'report.json', severity: 'high,critical', 'ignore-file': 'ok.trivyignore', 'sarif-file': 'reports/trivy.sarif' });
    expect(inputs.target.kind).toBe('report');
    expect(inputs.shownSeverities).toEqual(['HIGH', 'CRITICAL']);
    expect(inputs.ignoreRules.map((rule) => rule.id)).toEqual(['CVE-2099-1002']);
    expect(inputs.sarifFile).toBe(path.join(workspace, 'reports', 'trivy.sarif'));
  });

  it('signs in to a private ACR image with the Azure inputs', () => {
    const inputs = valid({
      image: 'contoso.azurecr.io/team/api:1.0',
      auth: 'client-secret',
      'tenant-id': tenant,
      'client-id': client,
      'client-secret': 's3cret',
    });
    expect(inputs.registryAuth).toMatchObject({ kind: 'azure', registry: 'contoso.azurecr.io', auth: { method: 'client-secret', tenantId: tenant } });
  });

  it('uses basic auth when a username is given, and none for a public registry', () => {
    expect(valid({ image: 'ghcr.io/team/api:1', 'registry-username': 'u', 'registry-password': 'p' }).registryAuth).toEqual({
      kind: 'basic',
      username: 'u',
      password: 'p',
    });
    expect(valid({ image: 'ghcr.io/team/api:1' }).registryAuth).toBeUndefined();
  });

  it('accepts a DB max age up to 90 days', () => {
    expect(valid({ layout: 'layout', 'db-max-age': '720h' }).db.maxAgeMs).toBe(720 * 3_600_000);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['nothing to scan', {}, 'layout', 'give one of layout, image or report'],
    ['two targets', { layout: 'layout', image: 'ghcr.io/a/b:1' }, 'image', 'give only one of layout, image or report'],
    ['a folder that is not a layout', { layout: 'reports' }, 'layout', 'is not an OCI image layout'],
    ['a missing layout', { layout: 'nope' }, 'layout', 'does not exist'],
    ['a bad image reference', { image: 'Not A Ref' }, 'image', 'is not an image reference'],
    ['a missing report', { report: 'nope.json' }, 'report', 'does not exist'],
    ['a report that is not JSON', { report: 'not-json.json' }, 'report', 'is not JSON'],
    ['a password without a user', { image: 'ghcr.io/a/b:1', 'registry-password': 'p' }, 'registry-username', 'is required with registry-password'],
    ['a user without an image', { layout: 'layout', 'registry-username': 'u' }, 'registry-username', 'only applies when scanning an `image`'],
    ['registry-auth basic without a user', { image: 'ghcr.io/a/b:1', 'registry-auth': 'basic' }, 'registry-username', 'is required with registry-auth basic'],
    ['an unknown registry-auth', { layout: 'layout', 'registry-auth': 'token' }, 'registry-auth', 'expected one of auto, azure, basic, none'],
    ['an unknown scanner', { layout: 'layout', scanners: 'vuln,licence' }, 'scanners', 'got "licence"'],
    ['an unknown severity', { layout: 'layout', severity: 'HIGH,SEVERE' }, 'severity', 'got "SEVERE"'],
    ['a malformed fail-on', { layout: 'layout', 'fail-on': 'CRITICAL>>0' }, 'fail-on', 'is not a clause'],
    ['a missing ignore file', { layout: 'layout', 'ignore-file': 'missing.trivyignore' }, 'ignore-file', 'does not exist'],
    ['an ignore file with a bad date', { layout: 'layout', 'ignore-file': 'bad-date.trivyignore' }, 'ignore-file', 'is not a date'],
    ['a CycloneDX file for an existing report', { report: 'report.json', 'cyclonedx-file': 'sbom.json' }, 'cyclonedx-file', 'needs a scan'],
    ['a bad trivy-version', { layout: 'layout', 'trivy-version': 'latest' }, 'trivy-version', 'is not a version'],
    ['a bad DB repository', { layout: 'layout', 'db-repositories': 'https://ghcr.io/x' }, 'db-repositories', 'is not an OCI repository reference'],
    ['a timeout that reached Trivy as 3.6e+23s', { layout: 'layout', timeout: '99999999999999999999h' }, 'timeout', 'is longer than the limit'],
    ['a DB max age over 90 days', { layout: 'layout', 'db-max-age': '2200h' }, 'db-max-age', 'is longer than the limit of 2160h'],
    [
      'a SARIF file below a file (EEXIST stack before)',
      { layout: 'layout', 'sarif-file': '/etc/passwd/x.sarif' },
      'sarif-file',
      '/etc/passwd is not a directory',
    ],
    ['a JUnit file that is a directory', { layout: 'layout', 'junit-file': 'reports' }, 'junit-file', 'is a directory'],
    ['a JSON file climbing out of the workspace', { layout: 'layout', 'json-file': '../trivy.json' }, 'json-file', 'outside the workspace'],
    ['a cache-dir through a file (ENOTDIR before)', { layout: 'layout', 'cache-dir': 'a-file/trivy' }, 'cache-dir', 'a-file is not a directory'],
    // The Azure inputs are checked whenever given, even when this scan does not sign in.
    ['a malformed client-id while scanning a layout', { layout: 'layout', 'client-id': 'not-a-guid' }, 'client-id', 'is not a GUID'],
    ['an http authority while scanning a layout', { layout: 'layout', 'authority-host': 'http://login.example' }, 'authority-host', 'must be an https:// URL'],
    ['a multi-line authority host', { layout: 'layout', 'authority-host': 'https://login.example\n.evil' }, 'authority-host', 'single line'],
    // ...and must be complete when it does.
    [
      'an ACR image with a client secret but no tenant',
      { image: 'contoso.azurecr.io/a:1', 'client-secret': 's', 'client-id': client },
      'tenant-id',
      'is required with client-secret',
    ],
  ])('%s', (_, raw, input, message) => {
    const { problems } = validate(raw);
    expect(problems).toContainEqual(expect.objectContaining({ input, message: expect.stringContaining(message) }));
  });

  it('does not require complete sign-in data when the scan does not sign in', () => {
    expect(validate({ layout: 'layout', auth: 'client-secret' }).problems).toEqual([]);
  });

  it('reports every problem at once', () => {
    const { problems } = validate({ layout: 'nope', 'fail-on': 'HIGH>>1', severity: 'SEVERE', 'client-id': 'x', 'sarif-file': 'a-file/x.sarif' });
    expect(problems.map((problem) => problem.input).sort()).toEqual(['client-id', 'fail-on', 'layout', 'sarif-file', 'severity']);
  });
});

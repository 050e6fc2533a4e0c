import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, type SandboxInfo } from '../sandbox/sandbox.ts';
import { buildTestImage, type TestImage } from '../sandbox/test-image.ts';
import { repoRoot, runAzureTask, runGitHubAction, runProcess } from '../../support/host-harness.ts';

describeSandbox('scan with the sandbox Trivy and its offline DB', (sb: SandboxInfo) => {
  let image: TestImage;
  let layout: string;
  let work: string;
  beforeAll(async () => {
    image = await buildTestImage(sb, 'scan');
    layout = path.join(image.dir, 'layout');
    await image.buildah(['push', image.localRef, `oci:${layout}:app`]);
    work = mkdtempSync(path.join(os.tmpdir(), 'slipway-scan-'));
  }, 180_000);
  afterAll(() => {
    image?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A private copy of the fixture DB per run, so parallel scans never share Trivy's cache lock. */
  function cacheWithDb(): string {
    const dir = mkdtempSync(path.join(work, 'cache-'));
    cpSync(path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), path.join(dir, 'db'), { recursive: true });
    return dir;
  }
  const env = () => ({ PATH: `${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}` });
  const inputs = (extra: Record<string, string> = {}) => ({ layout, 'cache-dir': cacheWithDb(), offline: 'true', ...extra });

  it('GitHub: the seeded image fails the default gate with exit 1 and the right counts', async () => {
    const run = await runGitHubAction('scan', inputs(), { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.outputs).toMatchObject({ passed: 'false', critical: '1', high: '1', medium: '0', low: '1', unknown: '0', 'trivy-version': '0.74.0' });
    expect(run.outputs.reason).toBe('CRITICAL>0 broken: 1 CRITICAL finding(s); HIGH>0 broken: 1 HIGH finding(s)');
    expect(JSON.parse(run.outputs['top-findings'] as string)[0]).toMatchObject({
      id: 'CVE-2099-1002',
      severity: 'CRITICAL',
      package: 'lodash',
      fixed: '4.17.12',
    });
    expect(run.stdout).toContain('::error::scan gate failed: CRITICAL>0 broken');
    expect(run.summary).toContain('### Slipway scan ❌ failed');
  });

  it('Azure Pipelines: the same verdict, as output variables and a Failed result', async () => {
    const given = inputs();
    const run = await runAzureTask(
      'SlipwayScanV1',
      { layout: given.layout, cacheDir: given['cache-dir'], offline: 'true' },
      { ...env(), SYSTEM_DEFAULTWORKINGDIRECTORY: work },
    );
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.result).toBe('Failed');
    expect(run.outputs).toMatchObject({ passed: 'false', critical: '1', high: '1', low: '1' });
  });

  it('CLI: the same verdict in --json, and it passes once the findings are ignored (with reports written)', async () => {
    const cli = (args: Record<string, string>) =>
      runProcess(
        process.execPath,
        [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'scan', ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]), '--json'],
        env(),
        work,
      );
    const failing = await cli(inputs());
    expect(failing.exitCode).toBe(1);
    expect(JSON.parse(failing.stdout).result.counts).toEqual({ UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 1 });

    writeFileSync(
      path.join(work, '.trivyignore.yaml'),
      [
        'vulnerabilities:',
        '  - id: CVE-2099-1002',
        '    purls: ["pkg:npm/lodash@4.17.11"]',
        '    statement: not reachable from our code',
        '    expired_at: 2099-01-01',
        '  - id: CVE-2099-1001',
        '    expired_at: 2099-01-01',
      ].join('\n'),
    );
    const reports = path.join(work, 'reports');
    const passing = await cli(
      inputs({
        'sarif-file': `${reports}/trivy.sarif`,
        'junit-file': `${reports}/trivy.xml`,
        'json-file': `${reports}/trivy.json`,
        'cyclonedx-file': `${reports}/sbom.cdx.json`,
      }),
    );
    rmSync(path.join(work, '.trivyignore.yaml'));
    expect(passing.exitCode, passing.stderr).toBe(0);
    const document = JSON.parse(passing.stdout);
    expect(document.outputs.passed).toBe('true');
    expect(document.result.ignored).toBe(2);

    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const sarif = JSON.parse(readFileSync(`${reports}/trivy.sarif`, 'utf8'));
    expect(ajv.compile(schema)(sarif)).toBe(true);
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['CVE-2099-1003']);
    expect(readFileSync(`${reports}/trivy.xml`, 'utf8')).toContain('tests="1"');
    expect(JSON.parse(readFileSync(`${reports}/trivy.json`, 'utf8')).SchemaVersion).toBe(2);
    const sbom = JSON.parse(readFileSync(`${reports}/sbom.cdx.json`, 'utf8'));
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(JSON.stringify(sbom.components)).toContain('lodash');
  });

  it('an existing report can be gated without running Trivy', async () => {
    const report = path.join(repoRoot, 'test/fixtures/trivy/sandbox-app-vuln.json');
    const run = await runGitHubAction('scan', { report, 'fail-on': 'CRITICAL>1' }, { PATH: '/usr/bin:/bin', GITHUB_WORKSPACE: work });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.passed).toBe('true');
  });

  it('with no DB offline, it fails loudly with exit 3 and says how to fix it', async () => {
    const empty = mkdtempSync(path.join(work, 'empty-'));
    const run = await runGitHubAction('scan', { layout, 'cache-dir': empty, offline: 'true' }, { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toContain('offline mode and no Trivy DB');
    expect(run.stdout).toContain('hint:');
    expect(run.outputs.passed).toBeUndefined();
  });

  it('when every DB mirror fails and nothing is cached, it fails with exit 3 after trying each', async () => {
    const empty = mkdtempSync(path.join(work, 'empty-'));
    const run = await runGitHubAction(
      'scan',
      { layout, 'cache-dir': empty, 'db-repositories': '127.0.0.1:9/mirror-a/trivy-db:2,127.0.0.1:9/mirror-b/trivy-db:2', 'db-retries': '1' },
      { ...env(), GITHUB_WORKSPACE: work },
    );
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toContain('could not obtain the Trivy vulnerability DB');
    expect(run.stdout).toContain('127.0.0.1:9/mirror-a/trivy-db:2 #1');
    expect(run.stdout).toContain('127.0.0.1:9/mirror-b/trivy-db:2 #1');
  });

  it('a Trivy failure is exit 3 with the tail of its stderr, never a pass', async () => {
    const broken = path.join(work, 'broken-layout');
    cpSync(layout, broken, { recursive: true });
    const index = JSON.parse(readFileSync(path.join(broken, 'index.json'), 'utf8'));
    rmSync(path.join(broken, 'blobs/sha256', index.manifests[0].digest.slice(7)));
    const run = await runGitHubAction('scan', { layout: broken, 'cache-dir': cacheWithDb(), offline: 'true' }, { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/trivy image .* exited with code \d+/);
    expect(run.outputs.passed).toBeUndefined();
  });

  it('a pinned trivy-version that is not installed is exit 3', async () => {
    const run = await runGitHubAction('scan', inputs({ 'trivy-version': '0.50.0' }), { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toContain('trivy 0.74.0 is installed but trivy-version requires 0.50.0');
  });

  it.each([
    [{ 'fail-on': 'CRITICAL>>0' }, 'fail-on'],
    [{ severity: 'HIGH,SEVERE' }, 'severity'],
    [{ 'ignore-file': 'missing.trivyignore' }, 'ignore-file'],
    [{ report: '/nonexistent/report.json' }, 'report'],
  ])('bad input %j exits 2 naming %s', async (extra, input) => {
    const given = 'report' in extra ? { ...extra } : inputs(extra);
    const run = await runGitHubAction('scan', given, { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain(`::error::input '${input}'`);
  });

  it('an ignore file with a bad date is exit 2', async () => {
    const file = path.join(work, 'bad.trivyignore');
    writeFileSync(file, 'CVE-2099-1002 exp:2026-02-31\n');
    const run = await runGitHubAction('scan', inputs({ 'ignore-file': file }), { ...env(), GITHUB_WORKSPACE: work });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain('is not a date');
    expect(run.outputs.passed).toBeUndefined();
  });
});

describeSandbox('scan: DB mirrors and registry images', (sb: SandboxInfo) => {
  let image: TestImage;
  let work: string;
  const env = () => ({
    PATH: `${path.dirname(sb.env.TRIVY as string)}:${process.env.PATH}`,
    SSL_CERT_FILE: sb.env.SSL_CERT_FILE as string,
    NODE_EXTRA_CA_CERTS: sb.env.SANDBOX_CA_CERT as string,
  });
  const cli = (args: Record<string, string>) =>
    runProcess(
      process.execPath,
      [path.join(repoRoot, 'packages/cli/dist/slipway.mjs'), 'scan', ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]), '--json'],
      env(),
      work,
    );

  beforeAll(async () => {
    image = await buildTestImage(sb, 'scan-remote');
    work = mkdtempSync(path.join(os.tmpdir(), 'slipway-scan-remote-'));
  }, 180_000);
  afterAll(() => {
    image?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('falls through an unreachable mirror to the next one, which serves the DB as an OCI artifact', async () => {
    // The DB as Trivy's repositories publish it: one tar+gzip layer of db/trivy.db and metadata.json.
    const layout = path.join(work, 'db-artifact');
    mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
    const { createHash } = await import('node:crypto');
    const { execFileSync } = await import('node:child_process');
    const tarball = path.join(work, 'db.tar.gz');
    execFileSync('tar', ['czf', tarball, '-C', path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), 'trivy.db', 'metadata.json']);
    const put = (bytes: Buffer) => {
      const digest = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(path.join(layout, 'blobs/sha256', digest), bytes);
      return { digest: `sha256:${digest}`, size: bytes.length };
    };
    const layer = put(readFileSync(tarball));
    const config = put(Buffer.from('{}'));
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', ...config },
          layers: [
            { mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip', ...layer, annotations: { 'org.opencontainers.image.title': 'db.tar.gz' } },
          ],
        }),
      ),
    );
    writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      path.join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': '2' } }],
      }),
    );
    execFileSync('skopeo', ['copy', '--dest-cert-dir', sb.env.SANDBOX_CERT_DIR as string, `oci:${layout}:2`, `docker://${sb.env.REGISTRY}/mirror/trivy-db:2`], {
      stdio: 'pipe',
    });

    await image.buildah(['push', image.localRef, `oci:${path.join(work, 'app')}:app`]);
    const cache = mkdtempSync(path.join(work, 'cache-'));
    const run = await cli({
      layout: path.join(work, 'app'),
      'cache-dir': cache,
      'db-repositories': `127.0.0.1:9/unreachable/trivy-db:2,${sb.env.REGISTRY}/mirror/trivy-db:2`,
      'db-retries': '2',
    });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain('Trivy DB download from 127.0.0.1:9/unreachable/trivy-db:2 failed (attempt 1/2)');
    expect(run.stderr).toContain('(attempt 2/2)');
    expect(run.stderr).toContain(`downloading the Trivy DB from ${sb.env.REGISTRY}/mirror/trivy-db:2 (attempt 1/2)`);
    expect(JSON.parse(run.stdout).result.counts.CRITICAL).toBe(1);
    expect(existsSync(path.join(cache, 'db', 'trivy.db'))).toBe(true);
  }, 120_000);

  it('scans a private image in the ACR double with the Azure sign-in push uses (token exchanged for an ACR refresh token)', async () => {
    const doubles = JSON.parse(readFileSync(sb.env.AZURE_DOUBLES_JSON as string, 'utf8')) as {
      tenantId: string;
      authorityHost: string;
      registry: { loginServer: string };
      apps: Array<{ name: string; clientId: string; secrets: string[] }>;
    };
    const ci = doubles.apps.find((candidate) => candidate.name === 'ci');
    // The double fronts the sandbox registry: what is pushed there is served (with auth) by the double.
    await image.buildah(['push', '--cert-dir', sb.env.SANDBOX_CERT_DIR as string, image.localRef, `docker://${sb.env.REGISTRY}/team/private:1`]);
    const cache = mkdtempSync(path.join(work, 'cache-'));
    cpSync(path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), path.join(cache, 'db'), { recursive: true });
    const inputs = (secret: string) => ({
      image: `${doubles.registry.loginServer}/team/private:1`,
      'registry-auth': 'azure',
      auth: 'client-secret',
      'tenant-id': doubles.tenantId,
      'client-id': ci?.clientId ?? '',
      'client-secret': secret,
      'authority-host': doubles.authorityHost,
      'cache-dir': cache,
      offline: 'true',
    });
    const run = await cli(inputs(ci?.secrets[0] ?? ''));
    expect(run.exitCode, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).result.counts).toMatchObject({ CRITICAL: 1, HIGH: 1, LOW: 1 });
    expect(run.stderr).toContain(`signing in to ${doubles.registry.loginServer} as service principal`);
    expect(run.stderr + run.stdout).not.toContain(ci?.secrets[0] ?? 'never');

    const denied = await cli(inputs('not-the-secret'));
    expect(denied.exitCode).toBe(3);
    expect(JSON.parse(denied.stdout).error.code).toBe('AADSTS7000215');
  }, 120_000);

  it('scans an image in an authenticated registry, the password reaching Trivy only through its environment', async () => {
    const reference = `${sb.env.REGISTRY_AUTH}/team/app:1`;
    await image.buildah([
      'push',
      '--cert-dir',
      sb.env.SANDBOX_CERT_DIR as string,
      '--creds',
      `${sb.env.REGISTRY_AUTH_USER}:${sb.env.REGISTRY_AUTH_PASSWORD}`,
      image.localRef,
      `docker://${reference}`,
    ]);
    const cache = mkdtempSync(path.join(work, 'cache-'));
    cpSync(path.join(sb.env.TRIVY_CACHE_DIR as string, 'db'), path.join(cache, 'db'), { recursive: true });
    const password = sb.env.REGISTRY_AUTH_PASSWORD as string;
    const run = await cli({
      image: reference,
      'registry-username': sb.env.REGISTRY_AUTH_USER as string,
      'registry-password': password,
      'cache-dir': cache,
      offline: 'true',
    });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).result.counts).toMatchObject({ CRITICAL: 1, HIGH: 1, LOW: 1 });
    expect(run.stderr).toContain('--image-src remote');
    expect(run.stderr + run.stdout).not.toContain(password);

    const denied = await cli({ image: reference, 'registry-username': 'nobody', 'registry-password': 'wrong', 'cache-dir': cache, offline: 'true' });
    expect(denied.exitCode).toBe(3);
  }, 120_000);
});

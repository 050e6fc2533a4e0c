import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeSandbox, run, type SandboxInfo } from './sandbox.ts';
import { buildTestImage, type TestImage } from './test-image.ts';

interface TrivyVuln {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion: string;
  FixedVersion?: string;
  Severity: string;
  Status?: string;
}
interface TrivyReport {
  SchemaVersion: number;
  ArtifactType: string;
  Metadata: { OS?: { Family: string; Name: string } };
  Results?: { Target: string; Class: string; Type: string; Vulnerabilities?: TrivyVuln[] }[];
}

describeSandbox('sandbox Trivy with the offline fixture DB', (sb: SandboxInfo) => {
  let image: TestImage;
  let layout: string;
  beforeAll(async () => {
    image = await buildTestImage(sb, 'trivy');
    layout = path.join(image.dir, 'oci-layout');
    await image.buildah(['push', image.localRef, `oci:${layout}:app`]);
  }, 180_000);
  afterAll(() => image?.cleanup());

  /** A private copy of the DB so concurrent scans do not share Trivy's cache lock. */
  function cacheWithDb(name: string): string {
    const dir = path.join(image.dir, name);
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(sb.env.TRIVY_CACHE_DIR!, 'db'), path.join(dir, 'db'), { recursive: true });
    return dir;
  }
  const offline = ['--skip-db-update', '--skip-java-db-update', '--offline-scan', '--skip-version-check', '--disable-telemetry'];
  const scan = (cacheDir: string, extra: string[] = []) =>
    run(sb, sb.env.TRIVY!, ['image', '--cache-dir', cacheDir, ...offline, '--scanners', 'vuln', '--format', 'json', '-q', ...extra, '--input', layout], {
      timeoutMs: 120_000,
    });

  it('reports the seeded vulnerabilities with their severities', async () => {
    const r = await scan(cacheWithDb('cache-a'));
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as TrivyReport;
    expect(report.SchemaVersion).toBe(2);
    expect(report.Metadata.OS).toMatchObject({ Family: 'debian' });
    const vulns = (report.Results ?? []).flatMap((res) => res.Vulnerabilities ?? []);
    const byId = new Map(vulns.map((v) => [v.VulnerabilityID, v]));
    expect(byId.get('CVE-2099-1001')).toMatchObject({
      PkgName: 'zlib1g',
      InstalledVersion: '1:1.2.13.dfsg-1',
      FixedVersion: '1:1.2.13.dfsg-1+deb12u9',
      Severity: 'HIGH',
    });
    expect(byId.get('CVE-2099-1002')).toMatchObject({ PkgName: 'lodash', InstalledVersion: '4.17.11', FixedVersion: '4.17.12', Severity: 'CRITICAL' });
    expect(byId.get('CVE-2099-1003')).toMatchObject({ PkgName: 'zlib1g', Severity: 'LOW' });
    expect(byId.get('CVE-2099-1003')?.FixedVersion ?? '').toBe('');
  });

  it('gates by severity with --exit-code and drops unfixed findings with --ignore-unfixed', async () => {
    const gated = await scan(cacheWithDb('cache-b'), ['--severity', 'CRITICAL', '--exit-code', '3']);
    expect(gated.code).toBe(3);
    const fixedOnly = await scan(cacheWithDb('cache-c'), ['--ignore-unfixed']);
    expect(fixedOnly.code, fixedOnly.stderr).toBe(0);
    const ids = ((JSON.parse(fixedOnly.stdout) as TrivyReport).Results ?? []).flatMap((res) => (res.Vulnerabilities ?? []).map((v) => v.VulnerabilityID));
    expect(ids.sort()).toEqual(['CVE-2099-1001', 'CVE-2099-1002']);
  });

  it('fails loudly with an empty cache dir and --skip-db-update', async () => {
    const empty = path.join(image.dir, 'empty-cache');
    mkdirSync(empty);
    const r = await scan(empty);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/skip-db-update|first run/i);
  });
});

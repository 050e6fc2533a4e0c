/**
 * The scan gate on a 20,000-finding report: parse, flatten, ignore rules, count, policy, and the SARIF,
 * JUnit and markdown renderers. The report is the real Trivy fixture with its vulnerabilities repeated
 * under new ids, so every field is one Trivy really writes. Runs in a child process for a clean peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const findings = 20_000;

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-scan-'));
  try {
    const report = JSON.parse(readFileSync(path.join(root, 'test/fixtures/trivy/sandbox-app-vuln.json'), 'utf8'));
    const templates = report.Results.flatMap((result: { Vulnerabilities?: unknown[] }) => result.Vulnerabilities ?? []);
    const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
    const vulnerabilities = Array.from({ length: findings }, (_, i) => ({
      ...templates[i % templates.length],
      VulnerabilityID: `CVE-2099-${100000 + i}`,
      PkgName: `pkg-${i % 700}`,
      Severity: severities[i % severities.length],
    }));
    report.Results = [{ ...report.Results[0], Vulnerabilities: vulnerabilities }];
    const file = path.join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(report));
    const ignore = path.join(dir, '.trivyignore');
    writeFileSync(ignore, Array.from({ length: 500 }, (_, i) => `CVE-2099-${100000 + i * 7} exp:2099-01-01`).join('\n'));
    const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'scan-gate-child.ts'), file, ignore], {
      encoding: 'utf8',
    });
    console.log(`report: ${findings} findings, ${(Buffer.byteLength(JSON.stringify(report)) / 1024 / 1024).toFixed(1)} MiB, 500 ignore rules`);
    process.stdout.write(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, parseFailOn, parseIgnoreFile, ParseError, type TrivyConfigScanOptions } from '@slipway/core';
import { defaultPolicyFailOn, runPolicyGate, slipwayChecks, type PolicyGateOptions } from '../../../../packages/core/src/deploy/policy-gate/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/trivy');
const manifest = readFileSync(path.join(fixtures, 'config-root-chart.manifest.yaml'), 'utf8');
const recordedReport = path.join(fixtures, 'config-root-chart.json');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-policy-gate-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface SeenScan {
  options: TrivyConfigScanOptions;
  timeoutMs: number | undefined;
  cwd: string | undefined;
  /** Every file under the scan dir, relative, with its mode and text. */
  files: Array<{ file: string; mode: number; text: string }>;
  cacheEntries: string[];
  ignoreFileText: string;
  checks: string[];
  /** The mode of the gate's private directory, which holds all of the above. */
  workMode: number;
}

/** A stand-in for the Trivy adapter: records what the gate prepared, then "writes" a report. */
function fakeTrivy(write: (outputFile: string) => Promise<void> = (out) => copyFile(recordedReport, out)) {
  const scans: SeenScan[] = [];
  return {
    scans,
    trivy: {
      async scanConfig(options: TrivyConfigScanOptions, run: { timeoutMs?: number; cwd?: string } = {}) {
        const files = (readdirSync(options.dir, { recursive: true }) as string[])
          .filter((entry) => statSync(path.join(options.dir, entry)).isFile())
          .sort()
          .map((file) => ({ file, mode: statSync(path.join(options.dir, file)).mode & 0o777, text: readFileSync(path.join(options.dir, file), 'utf8') }));
        scans.push({
          options,
          timeoutMs: run.timeoutMs,
          cwd: run.cwd,
          files,
          cacheEntries: readdirSync(options.cacheDir),
          ignoreFileText: readFileSync(options.emptyIgnoreFile, 'utf8'),
          checks: (options.extraChecks?.paths ?? []).flatMap((dir) => readdirSync(dir).map((name) => readFileSync(path.join(dir, name), 'utf8'))),
          workMode: statSync(path.dirname(options.dir)).mode & 0o777,
        });
        await write(options.outputFile);
      },
    },
  };
}

const gate = async (fake: ReturnType<typeof fakeTrivy>, extra: Partial<PolicyGateOptions> = {}) => {
  const lines: string[] = [];
  const result = await runPolicyGate(
    {
      manifest,
      failOn: parseFailOn(defaultPolicyFailOn),
      trivy: fake.trivy,
      tempDir: scratch,
      timeoutMs: 90_000,
      now: () => new Date('2026-06-15T12:00:00Z'),
      ...extra,
    },
    { info: (line) => lines.push(line), warning: (line) => lines.push(`warning: ${line}`) },
  );
  return { result, lines };
};
const leftovers = () => readdirSync(scratch).filter((name) => name.startsWith('slipway-policy-gate-'));

describe('runPolicyGate', () => {
  it('scans one 0600 file per document in a private dir, with an empty cache and ignore file and Slipway’s checks, then removes it', async () => {
    const fake = fakeTrivy();
    const { result, lines } = await gate(fake, { kubeVersion: 'v1.33.13' });
    const [scan] = fake.scans;
    if (!scan) throw new Error('Trivy was not run');
    expect(scan.files.map((entry) => [entry.file, entry.mode])).toEqual([
      ['slipway-root/templates/config-2.yaml', 0o600],
      ['slipway-root/templates/config.yaml', 0o600],
      ['slipway-root/templates/deployment.yaml', 0o600],
    ]);
    expect(scan.files[2]?.text.startsWith('# Source: slipway-root/templates/deployment.yaml\napiVersion: apps/v1\n')).toBe(true);
    expect(scan.workMode).toBe(0o700);
    expect(existsSync(path.dirname(scan.options.dir))).toBe(false);
    expect(scan.options).toMatchObject({ misconfigScanners: ['kubernetes'], timeoutMs: 90_000, k8sVersion: 'v1.33.13' });
    expect(scan.timeoutMs).toBe(150_000);
    // Trivy runs in the private dir: no trivy.yaml of the workspace (or of a template) configures it.
    expect(scan.cwd).toBe(path.dirname(scan.options.dir));
    expect(scan.cacheEntries).toEqual([]);
    expect(scan.ignoreFileText).toBe('');
    expect(scan.options.extraChecks?.namespaces).toEqual(['slipway']);
    expect(scan.checks).toEqual(slipwayChecks.map((check) => check.rego));
    expect(leftovers()).toEqual([]);

    expect(result).toMatchObject({ passed: false, reason: 'HIGH+>0 broken: 2 HIGH/CRITICAL finding(s)', scanned: 3, trivyVersion: '0.74.0', reportFiles: {} });
    expect(lines[0]).toBe('policy gate: 3 object(s) from 2 template(s), Trivy misconfiguration checks (offline)');
    expect(lines[1]).toBe(
      'policy gate failed: HIGH+>0 broken: 2 HIGH/CRITICAL finding(s) (0 CRITICAL, 2 HIGH, 6 MEDIUM, 12 LOW, 0 UNKNOWN; 0 ignored; 3 object(s) checked)',
    );
    expect(lines[2]).toBe(
      "  HIGH KSV-0014 Deployment/web-root (slipway-root/templates/deployment.yaml:23-33): Container 'app' of Deployment 'web-root' should set 'securityContext.readOnlyRootFilesystem' to true",
    );
    expect(lines.at(-1)).toBe('  ... and 10 more (see the summary)');
  });

  it('warns of expired ignore entries and shows them in the summary', async () => {
    const { result, lines } = await gate(fakeTrivy(), { ignoreRules: parseIgnoreFile('KSV-0014 exp:2026-06-01\nKSV-0118\n', '.trivyignore') });
    expect(result.reason).toBe('HIGH+>0 broken: 1 HIGH/CRITICAL finding(s)');
    expect(lines).toContain('warning: ignore entry KSV-0014 (.trivyignore:1) expired on 2026-06-01 and no longer ignores anything');
    expect(result.summaryMarkdown).toContain('- `KSV-0014` expired 2026-06-01 (.trivyignore:1)');
  });

  it('writes the reports asked for: Trivy’s JSON without the quoted manifest lines, SARIF, JUnit, markdown', async () => {
    const dir = mkdtempSync(path.join(scratch, 'reports-'));
    const reports = { json: `${dir}/a/gate.json`, sarif: `${dir}/gate.sarif`, junit: `${dir}/gate.xml`, markdown: `${dir}/gate.md` };
    const { result } = await gate(fakeTrivy(), { reports, artifact: 'release web' });
    expect(result.reportFiles).toEqual(reports);
    const json = readFileSync(reports.json, 'utf8');
    expect(readFileSync(recordedReport, 'utf8')).toContain('"Code"');
    expect(json).not.toContain('"Code"');
    expect(JSON.parse(json).Results).toHaveLength(3);
    const sarif = JSON.parse(readFileSync(reports.sarif, 'utf8'));
    expect(sarif.runs[0].results.map((entry: { ruleId: string }) => entry.ruleId)).toEqual(result.findings.map((finding) => finding.id));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'slipway-root/templates/deployment.yaml', uriBaseId: 'ROOTPATH' },
      region: { startLine: 23, startColumn: 1, endLine: 33, endColumn: 1 },
    });
    const junit = readFileSync(reports.junit, 'utf8');
    expect(junit).toContain('<testsuites name="trivy release web" tests="20" failures="2" errors="0">');
    expect(readFileSync(reports.markdown, 'utf8')).toBe(result.summaryMarkdown);
    expect(result.summaryMarkdown).toContain('### Slipway policy gate ❌ failed: `release web`');
    expect(result.summaryMarkdown).toContain(
      '| HIGH | [KSV-0118](https://avd.aquasec.com/misconfig/ksv-0118) | Deployment/web-root | slipway-root/templates/deployment.yaml:20-37 | deployment web-root in default namespace is using the default security context, which allows root privileges — To enhance security',
    );
  });

  it('passes a manifest that renders nothing without running Trivy', async () => {
    const fake = fakeTrivy();
    const { result } = await gate(fake, { manifest: '---\n# Source: app/templates/off.yaml\n', reports: { json: `${scratch}/none.json` } });
    expect(fake.scans).toEqual([]);
    expect(result).toMatchObject({ passed: true, scanned: 0, findings: [], trivyVersion: undefined, reportFiles: {} });
  });

  it('throws CancelledError before running Trivy when the run was cancelled', async () => {
    const fake = fakeTrivy();
    await expect(gate(fake, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(fake.scans).toEqual([]);
  });

  it.each<[string, (out: string) => Promise<void>, string]>([
    ['no report', async () => {}, 'could not parse Trivy JSON report (Trivy exited 0 but wrote no report)'],
    ['not JSON', (out) => writeFile(out, 'FATAL something'), 'could not parse Trivy JSON report: "FATAL something"'],
    ['not a Trivy report', (out) => writeFile(out, '{"SchemaVersion":1}'), 'could not parse Trivy JSON report (SchemaVersion is 1, expected 2)'],
  ])('throws ParseError when Trivy leaves %s, and cleans up', async (_, write, message) => {
    const error = await gate(fakeTrivy(write)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toContain(message);
    expect(leftovers()).toEqual([]);
  });

  it("judges Trivy's default-namespace check (KSV-0110) against the namespace Helm installs into", async () => {
    const inDefault = await gate(fakeTrivy(), { namespace: 'default' });
    const inTeam = await gate(fakeTrivy(), { namespace: 'team-a' });
    const unset = await gate(fakeTrivy());
    expect(inDefault.result.findings.map((finding) => finding.id)).toContain('KSV-0110');
    expect(unset.result.findings.map((finding) => finding.id)).toContain('KSV-0110');
    expect(inTeam.result.findings.map((finding) => finding.id)).not.toContain('KSV-0110');
    expect(inTeam.result.findings).toHaveLength(inDefault.result.findings.length - 1);
  });
});

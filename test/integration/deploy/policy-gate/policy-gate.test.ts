import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Helm, parseFailOn, parseIgnoreFile, ProcessRunner, Redactor, Trivy } from '@slipway/core';
import {
  defaultPolicyFailOn,
  runPolicyGate,
  scanManifestDocuments,
  splitManifest,
  type PolicyGateOptions,
} from '../../../../packages/core/src/deploy/policy-gate/index.ts';
import { describeSandbox, repoRoot, type SandboxInfo } from '../../sandbox/sandbox.ts';

const charts = path.join(repoRoot, 'test/fixtures/charts');
const trivyFixtures = path.join(repoRoot, 'test/fixtures/trivy');

/** sandbox.json may hold null for a variable the sandbox left unset; a child environment takes strings only. */
function sandboxStrings(sb: SandboxInfo): Record<string, string> {
  return Object.fromEntries(Object.entries(sb.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

describeSandbox('the deploy policy gate with the sandbox Helm and Trivy (offline)', (sb: SandboxInfo) => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'slipway-policy-gate-it-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const commands: string[] = [];
  const runner = new ProcessRunner({
    redactor: new Redactor(),
    log: { command: (line) => commands.push(line), debug: () => {} },
    baseEnv: { ...process.env, ...sandboxStrings(sb) },
  });
  const trivy = new Trivy(runner, sb.env.TRIVY as string);
  const helm = new Helm(runner, (sb.env.HELM4 || sb.env.HELM3) as string);
  const render = (chart: string) => helm.template({ release: 'web', chart: { kind: 'path', path: path.join(charts, chart) }, namespace: 'team' });

  const now = new Date('2026-06-15T12:00:00Z');
  const gate = async (manifest: string, extra: Partial<PolicyGateOptions> = {}) => {
    const lines: string[] = [];
    const log = { info: (line: string) => lines.push(line), warning: (line: string) => lines.push(`warning: ${line}`) };
    const result = await runPolicyGate(
      { manifest, failOn: parseFailOn(defaultPolicyFailOn), trivy, tempDir: scratch, timeoutMs: 120_000, now: () => now, ...extra },
      log,
    );
    return { result, lines };
  };
  const ids = (findings: ReadonlyArray<{ id: string }>) => [...new Set(findings.map((finding) => finding.id))].sort();

  describe('a chart that runs as root with no limits (test/fixtures/charts/slipway-root)', () => {
    it('fails the default gate before anything reaches the cluster, naming root, limits, escalation, host path and probe', async () => {
      const { result, lines } = await gate(await render('slipway-root'));
      expect(result.passed).toBe(false);
      expect(result.reason).toBe('HIGH+>0 broken: 2 HIGH/CRITICAL finding(s)');
      expect(ids(result.findings.filter((finding) => finding.severity === 'HIGH'))).toEqual(['KSV-0014', 'KSV-0118']);
      // Root (KSV-0012, KSV-0105), limits (KSV-0011, KSV-0018), escalation (KSV-0001), host path (KSV-0023),
      // readiness probe (Slipway's own check): all counted, in the report, gated by a stricter fail-on.
      expect(ids(result.findings)).toEqual(
        expect.arrayContaining(['KSV-0001', 'KSV-0011', 'KSV-0012', 'KSV-0018', 'KSV-0023', 'KSV-0105', 'SLIPWAY-K8S-0001']),
      );
      const root = result.findings.find((finding) => finding.id === 'KSV-0012');
      expect(root).toMatchObject({
        resource: 'Deployment/web-root',
        target: 'slipway-root/templates/deployment.yaml',
        message: "Container 'app' of Deployment 'web-root' should set 'securityContext.runAsNonRoot' to true",
        location: { startLine: 23, endLine: 33 },
      });
      expect(result.scanned).toBe(3);
      expect(result.unscanned).toEqual([]);
      expect(result.trivyVersion).toBe('0.74.0');
      expect(lines).toContain('policy gate: 3 object(s) from 2 template(s), Trivy misconfiguration checks (offline)');
      expect(result.summaryMarkdown).toContain('### Slipway policy gate ❌ failed');
    });

    it('passes with an ignore file for its HIGH checks, written the ways users write check ids', async () => {
      const ignoreFile = path.join(scratch, 'root.trivyignore.yaml');
      writeFileSync(
        ignoreFile,
        [
          'misconfigurations:',
          '  - id: AVD-KSV-0014',
          '    statement: the app writes to its image; a read-only root needs an emptyDir first',
          '    expired_at: 2026-12-31',
          '  - id: KSV118',
          '    paths: ["slipway-root/templates/*.yaml"]',
        ].join('\n'),
      );
      const ignoreRules = parseIgnoreFile(readFileSync(ignoreFile, 'utf8'), path.basename(ignoreFile));
      const { result } = await gate(await render('slipway-root'), { ignoreRules });
      expect(result.passed).toBe(true);
      expect(result.reason).toBe('within policy HIGH+>0');
      expect(result.ignored.map((entry) => [entry.finding.id, entry.reason])).toEqual([
        ['KSV-0014', 'root.trivyignore.yaml:misconfigurations[0]: the app writes to its image; a read-only root needs an emptyDir first'],
        ['KSV-0118', 'root.trivyignore.yaml:misconfigurations[1]'],
      ]);
      expect(result.counts.HIGH).toBe(0);
    });

    it('a stricter policy fails on root and no limits; a .trivyignore passes it until an entry expires', async () => {
      const manifest = await render('slipway-root');
      const strict = parseFailOn('MEDIUM+>0,LOW>0');
      const failing = await gate(manifest, { failOn: strict });
      expect(failing.result.passed).toBe(false);

      const everything = ids(failing.result.findings);
      // Legacy ids (KSV012) for some, Trivy's own for the rest; KSV-0012 expires the day before `now`.
      const spelled = (id: string) => (id === 'KSV-0011' ? 'KSV011' : id === 'KSV-0018' ? 'ksv-0018' : id);
      const rules = (expiry: string) =>
        parseIgnoreFile(everything.map((id) => (id === 'KSV-0012' ? `${id} exp:${expiry}` : spelled(id))).join('\n'), '.trivyignore');

      const passing = await gate(manifest, { failOn: strict, ignoreRules: rules('2026-06-15') });
      expect(passing.result.passed).toBe(true);
      expect(passing.result.findings).toEqual([]);

      const expired = await gate(manifest, { failOn: strict, ignoreRules: rules('2026-06-14') });
      expect(expired.result.passed).toBe(false);
      expect(expired.result.reason).toBe('MEDIUM+>0 broken: 1 MEDIUM/HIGH/CRITICAL finding(s)');
      expect(ids(expired.result.findings)).toEqual(['KSV-0012']);
      expect(expired.result.expiredRules.map((rule) => [rule.id, rule.origin])).toEqual([['KSV-0012', `.trivyignore:${everything.indexOf('KSV-0012') + 1}`]]);
      expect(expired.lines).toContain(
        `warning: ignore entry KSV-0012 (.trivyignore:${everything.indexOf('KSV-0012') + 1}) expired on 2026-06-14 and no longer ignores anything`,
      );
      expect(expired.result.summaryMarkdown).toContain('#### Expired ignores (no longer ignoring)');
    });
  });

  describe('the demo chart (test/fixtures/charts/slipway-demo)', () => {
    it('passes the default gate as it is: restricted security context, limits, probes', async () => {
      const { result } = await gate(await render('slipway-demo'));
      expect(result.passed).toBe(true);
      expect(result.reason).toBe('within policy HIGH+>0');
      // What remains: the sandbox registry is not a known one (KSV-0125), and helm template leaves
      // metadata.namespace to the install (KSV-0110).
      expect(ids(result.findings)).toEqual(['KSV-0110', 'KSV-0125']);
    });

    it('fails the default gate without its security context (root, writable root filesystem)', async () => {
      const manifest = await helm.template({
        release: 'web',
        chart: { kind: 'path', path: path.join(charts, 'slipway-demo') },
        namespace: 'team',
        set: { podSecurityContext: 'null', securityContext: 'null' },
      });
      const { result } = await gate(manifest);
      expect(result.passed).toBe(false);
      expect(ids(result.findings)).toEqual(expect.arrayContaining(['KSV-0014', 'KSV-0118']));
    });
  });

  it('never touches the network: checks update skipped, no phone home, a private empty cache dir', async () => {
    const before = commands.length;
    await gate(await render('slipway-root'));
    const scan = commands.slice(before).find((line) => line.includes(' config '));
    expect(scan).toBeDefined();
    for (const flag of ['--skip-check-update', '--skip-version-check', '--disable-telemetry', '--misconfig-scanners kubernetes']) expect(scan).toContain(flag);
    expect(scan).toMatch(new RegExp(`--cache-dir ${scratch}/slipway-policy-gate-[^/ ]+/cache `));
    // The gate removes its private directory: nothing is left in the scratch dir but what the tests wrote.
    expect((await readdir(scratch)).filter((name) => name.startsWith('slipway-policy-gate-'))).toEqual([]);
  });

  it("is not changed by the job's TRIVY_* environment (severity, ignore file, exit code)", async () => {
    const ignoreFile = path.join(scratch, 'env.trivyignore');
    writeFileSync(ignoreFile, 'KSV-0014\nKSV-0118\n');
    const envRunner = new ProcessRunner({
      redactor: new Redactor(),
      log: { command: () => {}, debug: () => {} },
      baseEnv: { ...process.env, ...sandboxStrings(sb), TRIVY_SEVERITY: 'CRITICAL', TRIVY_IGNOREFILE: ignoreFile, TRIVY_EXIT_CODE: '1' },
    });
    const manifest = await render('slipway-root');
    const { result } = await gate(manifest, { trivy: new Trivy(envRunner, sb.env.TRIVY as string) });
    const plain = await gate(manifest);
    expect(result.passed).toBe(false);
    expect(result.counts).toEqual(plain.result.counts);
  });

  it('writes reports like scan: Trivy JSON (without quoted manifest lines), SARIF, JUnit, markdown', async () => {
    const dir = await mkdtemp(path.join(scratch, 'reports-'));
    const reports = { json: `${dir}/gate.json`, sarif: `${dir}/gate.sarif`, junit: `${dir}/gate.xml`, markdown: `${dir}/gate.md` };
    const { result } = await gate(await render('slipway-root'), { reports, artifact: 'release web (chart slipway-root)' });
    expect(result.reportFiles).toEqual(reports);
    const json = JSON.parse(readFileSync(reports.json, 'utf8'));
    expect(json.Trivy.Version).toBe('0.74.0');
    expect(readFileSync(reports.json, 'utf8')).not.toContain('"Code"');
    const sarif = JSON.parse(readFileSync(reports.sarif, 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(result.findings.length);
    expect(readFileSync(reports.junit, 'utf8')).toContain('<testsuite name="slipway-root/templates/deployment.yaml"');
    expect(readFileSync(reports.markdown, 'utf8')).toBe(result.summaryMarkdown);
  });

  /**
   * The Trivy fixtures of the unit tests are this Trivy's output on these charts, rendered by this Helm:
   * checked here, and re-recorded with SLIPWAY_RECORD_FIXTURES=1.
   */
  describe('recorded fixtures', () => {
    for (const [name, chart] of [
      ['config-root-chart', 'slipway-root'],
      ['config-policy-edges', 'slipway-policy-edges'],
    ] as const) {
      it(`${name}.json is what Trivy reports on ${chart}, rendered`, async () => {
        const manifest = await helm.template({ release: 'web', chart: { kind: 'path', path: path.join(charts, chart) }, namespace: 'team' });
        const workDir = await mkdtemp(path.join(scratch, 'record-'));
        const { text } = await scanManifestDocuments(splitManifest(manifest), { trivy, timeoutMs: 120_000, workDir });
        // Trivy's output unedited but for the temp dir it scanned (ArtifactName), named `manifests`.
        const report = text.split(path.join(workDir, 'manifests')).join('manifests');
        const manifestFile = path.join(trivyFixtures, `${name}.manifest.yaml`);
        const reportFile = path.join(trivyFixtures, `${name}.json`);
        if (process.env.SLIPWAY_RECORD_FIXTURES === '1') {
          writeFileSync(manifestFile, manifest);
          writeFileSync(reportFile, report);
        }
        expect(manifest).toBe(readFileSync(manifestFile, 'utf8'));
        // Each run has its own ReportID and CreatedAt.
        const stable = (json: string) => JSON.parse(json, (key, value) => (key === 'ReportID' || key === 'CreatedAt' ? undefined : value));
        expect(stable(report)).toEqual(stable(readFileSync(reportFile, 'utf8')));
      });
    }
  });
});

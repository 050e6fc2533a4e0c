import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  InputError,
  ParseError,
  parseFailOn,
  parseIgnoreFile,
  parseTrivyReport,
  renderJunitReport,
  renderMarkdownReport,
  renderSarifReport,
  summariseScan,
  type ScanSummary,
} from '@slipway/core';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/trivy');
// Recorded from the sandbox's Trivy 0.74.0 with the offline fixture DB (test/fixtures/trivy/record.ts).
const reportText = readFileSync(path.join(fixtures, 'sandbox-app-vuln.json'), 'utf8');
const repoRoot = path.resolve(import.meta.dirname, '../../..');

function summarise(policy: string, options: { ignoreUnfixed?: boolean; ignore?: string; shown?: ScanSummary['shownSeverities'] } = {}): ScanSummary {
  return summariseScan(parseTrivyReport(reportText), {
    ignoreUnfixed: options.ignoreUnfixed ?? false,
    ignoreRules: options.ignore ? parseIgnoreFile(options.ignore, '.trivyignore') : [],
    clauses: parseFailOn(policy),
    shownSeverities: options.shown ?? ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    now: new Date('2026-11-24T00:00:00Z'),
  });
}

describe('parseTrivyReport on a real Trivy 0.74 report', () => {
  it('reads targets, vulnerabilities and the Trivy version', () => {
    const report = parseTrivyReport(reportText);
    expect(report.trivyVersion).toBe('0.74.0');
    expect(report.artifactType).toBe('container_image');
    expect(report.results.map((r) => [r.target, r.class, r.vulnerabilities.length])).toEqual([
      ['sandbox-app (debian 12.11)', 'os-pkgs', 2],
      ['Node.js', 'lang-pkgs', 1],
    ]);
    const lodash = report.results[1]?.vulnerabilities[0];
    expect(lodash).toMatchObject({
      id: 'CVE-2099-1002',
      pkgName: 'lodash',
      installedVersion: '4.17.11',
      fixedVersion: '4.17.12',
      severity: 'CRITICAL',
      status: 'fixed',
    });
    expect(lodash?.pkgPath).toBe('app/node_modules/lodash/package.json');
  });

  it('counts every finding by severity', () => {
    expect(summarise('none').counts).toEqual({ UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 1 });
  });

  it('ignore-unfixed drops the finding with no fixed version (Status affected)', () => {
    const summary = summarise('LOW>0', { ignoreUnfixed: true });
    expect(summary.counts.LOW).toBe(0);
    expect(summary.unfixedSkipped).toBe(1);
    expect(summary.decision.passed).toBe(true);
  });

  it('an ignore file entry lifts the CRITICAL finding; an expired one does not', () => {
    expect(summarise('CRITICAL>0', { ignore: 'CVE-2099-1002 exp:2027-01-01' }).decision.passed).toBe(true);
    const expired = summarise('CRITICAL>0', { ignore: 'CVE-2099-1002 exp:2026-01-01' });
    expect(expired.decision.passed).toBe(false);
    expect(expired.expiredRules.map((rule) => rule.id)).toEqual(['CVE-2099-1002']);
  });

  it.each([
    ['CRITICAL>0', false, 'CRITICAL>0 broken: 1 CRITICAL finding(s)'],
    ['CRITICAL>1,HIGH>1', true, 'within policy'],
    ['HIGH+>1', false, 'HIGH+>1 broken: 2 HIGH/CRITICAL finding(s)'],
    ['ANY>=3', false, 'ANY>=3 broken: 3'],
  ])('policy %s -> passed=%s', (policy, passed, reason) => {
    const summary = summarise(policy);
    expect(summary.decision.passed).toBe(passed);
    expect(summary.decision.reason).toContain(reason);
  });

  it.each([
    ['not JSON', 'nope', 'is not JSON'],
    ['another schema version', JSON.stringify({ ...JSON.parse(reportText), SchemaVersion: 1 }), 'SchemaVersion is 1, expected 2'],
    ['a Results that is not a list', JSON.stringify({ ...JSON.parse(reportText), Results: {} }), 'Results is not a list'],
    ['an unknown severity', reportText.replace('"Severity": "HIGH"', '"Severity": "SEVERE"'), 'has severity "SEVERE"'],
  ])('a report given as input that is %s is invalid input (exit 2)', (_, text, message) => {
    expect(() => parseTrivyReport(text, { input: 'report' })).toThrow(InputError);
    expect(() => parseTrivyReport(text, { input: 'report' })).toThrow(message);
  });

  it("the same problems in Trivy's own output are tool failures (exit 3)", () => {
    expect(() => parseTrivyReport('panic: runtime error')).toThrow(ParseError);
  });
});

describe("reports render the gate's findings", () => {
  it('SARIF validates against the SARIF 2.1.0 schema and maps severities for code scanning', () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const sarif = renderSarifReport(summarise('CRITICAL>0')) as {
      runs: Array<{
        results: Array<{ ruleId: string; level: string }>;
        tool: { driver: { rules: Array<{ id: string; properties: Record<string, unknown> }> } };
      }>;
    };
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = sarif.runs[0];
    expect(run?.results.map((r) => [r.ruleId, r.level])).toEqual([
      ['CVE-2099-1002', 'error'],
      ['CVE-2099-1001', 'error'],
      ['CVE-2099-1003', 'note'],
    ]);
    expect(run?.tool.driver.rules.find((r) => r.id === 'CVE-2099-1002')?.properties['security-severity']).toBe('9.5');
  });

  it('SARIF honours the severity filter instead of silently ignoring it (trivy-action#228)', () => {
    const sarif = renderSarifReport(summarise('CRITICAL>0', { shown: ['HIGH', 'CRITICAL'] })) as { runs: Array<{ results: unknown[] }> };
    expect(sarif.runs[0]?.results).toHaveLength(2);
  });

  it('JUnit marks gated severities as failures and the rest as skipped', () => {
    const xml = renderJunitReport(summarise('CRITICAL>0'));
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toContain('<testsuites name="trivy sandbox-app" tests="3" failures="1" errors="0">');
    expect(xml).toContain('<testsuite name="Node.js" tests="1" failures="1"');
    expect(xml).toContain('<failure message="');
    expect((xml.match(/<skipped /g) ?? []).length).toBe(2);
    // Balanced tags: a crude well-formedness check without an XML dependency.
    expect((xml.match(/<testcase /g) ?? []).length).toBe((xml.match(/<\/testcase>/g) ?? []).length);
  });

  it('the markdown summary gives the verdict, counts and the worst findings with their fix', () => {
    const markdown = renderMarkdownReport(summarise('CRITICAL>0', { ignore: 'CVE-2099-1003 exp:2026-01-01' }));
    expect(markdown).toContain('### Slipway scan ❌ failed: `sandbox-app`');
    expect(markdown).toContain('| CRITICAL | 1 | 0 | ● |');
    expect(markdown).toContain('| CRITICAL | [CVE-2099-1002](https://avd.aquasec.com/nvd/cve-2099-1002) | lodash | 4.17.11 | 4.17.12 | Node.js |');
    expect(markdown).toContain('Expired ignores');
    expect(markdown.indexOf('CVE-2099-1002')).toBeLessThan(markdown.indexOf('CVE-2099-1001'));
  });
});

describe('secret scanning report (real Trivy 0.74 output)', () => {
  const text = readFileSync(path.join(fixtures, 'secret-app-secret.json'), 'utf8');

  it('gates on secrets like on vulnerabilities, one finding per target', () => {
    const summary = summariseScan(parseTrivyReport(text), {
      ignoreUnfixed: true,
      ignoreRules: [],
      clauses: parseFailOn('CRITICAL>0'),
      shownSeverities: ['CRITICAL'],
      now: new Date(),
    });
    expect(summary.findings.map((f) => [f.kind, f.id, f.target, f.severity])).toEqual([
      ['secret', 'github-pat', '/label.txt', 'CRITICAL'],
      ['secret', 'github-pat', 'secret-app', 'CRITICAL'],
    ]);
    // ignore-unfixed only concerns vulnerabilities: a leaked secret has no "fixed version".
    expect(summary.unfixedSkipped).toBe(0);
    expect(summary.decision.passed).toBe(false);
    expect(renderMarkdownReport(summary)).toContain('| CRITICAL | github-pat | secret |');
  });

  it('a secrets entry of .trivyignore.yaml ignores it; a vulnerabilities entry with the same id does not', () => {
    const summarise = (ignore: string) =>
      summariseScan(parseTrivyReport(text), {
        ignoreUnfixed: false,
        ignoreRules: parseIgnoreFile(ignore, '.trivyignore.yaml'),
        clauses: parseFailOn('CRITICAL>0'),
        shownSeverities: ['CRITICAL'],
        now: new Date(),
      });
    expect(summarise('secrets: [{id: github-pat}]').decision.passed).toBe(true);
    expect(summarise('vulnerabilities: [{id: github-pat}]').decision.passed).toBe(false);
  });
});

describe('misconfiguration report (real Trivy 0.74 output, embedded Dockerfile checks)', () => {
  it('counts failed checks by severity and names them in the reports', () => {
    const summary = summariseScan(parseTrivyReport(readFileSync(path.join(fixtures, 'misconfig-app-misconfig.json'), 'utf8')), {
      ignoreUnfixed: true,
      ignoreRules: parseIgnoreFile('misconfigurations: [{id: DS-0026}]', '.trivyignore.yaml'),
      clauses: parseFailOn('HIGH>1'),
      shownSeverities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
      now: new Date(),
    });
    expect(summary.findings.map((f) => [f.kind, f.id, f.severity, f.target])).toEqual([
      ['misconfiguration', 'DS-0002', 'HIGH', 'app/Dockerfile'],
      ['misconfiguration', 'DS-0017', 'HIGH', 'app/Dockerfile'],
    ]);
    expect(summary.ignored.map((entry) => entry.finding.id)).toEqual(['DS-0026']);
    expect(summary.decision.reason).toBe('HIGH>1 broken: 2 HIGH finding(s)');
    expect(renderJunitReport(summary)).toContain('<testsuite name="app/Dockerfile" tests="2" failures="2"');
  });
});

describe('one check failing at two places of one file (real Trivy 0.74 output, issue #8)', () => {
  const text = readFileSync(path.join(fixtures, 'misconfig-two-locations.json'), 'utf8');
  // Trivy's own table output for the same scan: what a user compares Slipway's counts with.
  const table = readFileSync(path.join(fixtures, 'misconfig-two-locations.table.txt'), 'utf8');
  const summary = summariseScan(parseTrivyReport(text), {
    ignoreUnfixed: false,
    ignoreRules: [],
    clauses: parseFailOn('MEDIUM>1'),
    shownSeverities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    now: new Date(),
  });

  /** Sums the `Failures: N (UNKNOWN: 0, LOW: 0, MEDIUM: 2, ...)` lines of Trivy's table output. */
  function trivyTableCounts(output: string): Record<string, number> {
    const counts: Record<string, number> = { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
    const lines = output.split('\n').filter((line) => line.startsWith('Failures: '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      for (const [, severity = '', count] of line.matchAll(/(UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL): (\d+)/g))
        counts[severity] = (counts[severity] ?? 0) + Number(count);
    return counts;
  }

  it('counts each place, as Trivy does', () => {
    expect(summary.counts).toEqual(trivyTableCounts(table));
    expect(summary.counts).toEqual({ UNKNOWN: 0, LOW: 0, MEDIUM: 2, HIGH: 1, CRITICAL: 0 });
    const misconfSummary = (JSON.parse(text) as { Results: Array<{ MisconfSummary: { Failures: number } }> }).Results[0]?.MisconfSummary;
    expect(summary.findings).toHaveLength(misconfSummary?.Failures ?? -1);
    expect(summary.decision.reason).toBe('MEDIUM>1 broken: 2 MEDIUM finding(s)');
  });

  it('keeps the location in each finding and shows it in the reports', () => {
    expect(summary.findings.map((f) => [f.id, f.severity, f.target, f.location?.startLine])).toEqual([
      ['DS-0017', 'HIGH', 'app/Dockerfile', 2],
      ['DS-0001', 'MEDIUM', 'app/Dockerfile', 1],
      ['DS-0001', 'MEDIUM', 'app/Dockerfile', 3],
    ]);
    const junit = renderJunitReport(summary);
    expect(junit).toContain('name="[MEDIUM] DS-0001 (line 1)"');
    expect(junit).toContain('name="[MEDIUM] DS-0001 (line 3)"');
    const sarif = renderSarifReport(summary) as {
      runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }> }>;
    };
    expect(sarif.runs[0]?.results.map((r) => [r.ruleId, r.locations[0]?.physicalLocation.region.startLine])).toEqual([
      ['DS-0017', 2],
      ['DS-0001', 1],
      ['DS-0001', 3],
    ]);
    expect(renderMarkdownReport(summary)).toContain('| app/Dockerfile:3 |');
  });

  it('an ignore entry for the check lifts it at every place', () => {
    const ignored = summariseScan(parseTrivyReport(text), {
      ignoreUnfixed: false,
      ignoreRules: parseIgnoreFile('misconfigurations: [{id: DS-0001}]', '.trivyignore.yaml'),
      clauses: parseFailOn('MEDIUM>0'),
      shownSeverities: ['MEDIUM'],
      now: new Date(),
    });
    expect(ignored.ignored).toHaveLength(2);
    expect(ignored.decision.passed).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFailOn, parseIgnoreFile, parseTrivyReport } from '@slipway/core';
import {
  canonicalCheckId,
  collectMisconfigFindings,
  defaultPolicyFailOn,
  splitManifest,
  summarisePolicyGate,
  type MisconfigFinding,
} from '../../../../packages/core/src/deploy/policy-gate/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/trivy');
const collected = (name: string) =>
  collectMisconfigFindings(
    parseTrivyReport(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')),
    splitManifest(readFileSync(path.join(fixtures, `${name}.manifest.yaml`), 'utf8')),
  );
const root = collected('config-root-chart');
const edges = collected('config-policy-edges');
const now = new Date('2026-06-15T12:00:00Z');

describe('canonicalCheckId', () => {
  it.each([
    ['KSV-0012', 'KSV-0012'],
    ['AVD-KSV-0012', 'KSV-0012'],
    ['KSV012', 'KSV-0012'],
    ['ksv-12', 'KSV-0012'],
    ['avd-ksv-0118', 'KSV-0118'],
    ['KSV118', 'KSV-0118'],
    ['KSV01011', 'KSV-01011'],
    ['AVD-KSV-01011', 'KSV-01011'],
    ['DS002', 'DS-0002'],
    [' KSV-0001 ', 'KSV-0001'],
    ['SLIPWAY-K8S-0001', 'SLIPWAY-K8S-0001'],
    ['CVE-2024-1234', 'CVE-2024-1234'],
    ['no-root', 'NO-ROOT'],
  ])('%s -> %s', (written, canonical) => {
    expect(canonicalCheckId(written)).toBe(canonical);
  });
});

describe('summarisePolicyGate', () => {
  const run = (failOn: string, ignore = '', file = '.trivyignore', from = root) =>
    summarisePolicyGate(from, { failOn: parseFailOn(failOn), ignoreRules: parseIgnoreFile(ignore, file), now });

  it.each<[string, string, string, string, { passed: boolean; reason: string; ignored: number }]>([
    [
      'the default fails on the HIGH checks',
      defaultPolicyFailOn,
      '',
      '.trivyignore',
      { passed: false, reason: 'HIGH+>0 broken: 2 HIGH/CRITICAL finding(s)', ignored: 0 },
    ],
    ['CRITICAL>0 lets them through', 'CRITICAL>0', '', '.trivyignore', { passed: true, reason: 'within policy CRITICAL>0', ignored: 0 }],
    [
      'both HIGH ids ignored, spelled as users do',
      defaultPolicyFailOn,
      'AVD-KSV-0014\nKSV118\n',
      '.trivyignore',
      { passed: true, reason: 'within policy HIGH+>0', ignored: 2 },
    ],
    [
      'root and limits gated by MEDIUM and LOW clauses',
      'MEDIUM+>0,LOW>0',
      'KSV-0014\nKSV-0118\n',
      '.trivyignore',
      { passed: false, reason: 'MEDIUM+>0 broken: 6 MEDIUM/HIGH/CRITICAL finding(s); LOW>0 broken: 12 LOW finding(s)', ignored: 2 },
    ],
    [
      'an expired entry ignores nothing (the end of its day is still valid)',
      defaultPolicyFailOn,
      'KSV-0014 exp:2026-06-15\nKSV-0118 exp:2026-06-14\n',
      '.trivyignore',
      { passed: false, reason: 'HIGH+>0 broken: 1 HIGH/CRITICAL finding(s)', ignored: 1 },
    ],
    [
      'YAML: misconfigurations entries apply, vulnerabilities entries do not',
      defaultPolicyFailOn,
      'misconfigurations:\n  - id: KSV014\nvulnerabilities:\n  - id: KSV-0118\n',
      '.trivyignore.yaml',
      { passed: false, reason: 'HIGH+>0 broken: 1 HIGH/CRITICAL finding(s)', ignored: 1 },
    ],
    [
      'YAML paths are globs over the template path',
      defaultPolicyFailOn,
      'misconfigurations:\n  - id: KSV-0014\n    paths: ["slipway-root/templates/*.yaml"]\n  - id: KSV-0118\n    paths: ["other-chart/**"]\n',
      '.trivyignore.yaml',
      { passed: false, reason: 'HIGH+>0 broken: 1 HIGH/CRITICAL finding(s)', ignored: 1 },
    ],
    ['none reports without gating', 'none', '', '.trivyignore', { passed: true, reason: 'no policy (fail-on: none)', ignored: 0 }],
  ])('%s', (_, failOn, ignore, file, expected) => {
    const summary = run(failOn, ignore, file);
    expect({ passed: summary.passed, reason: summary.reason, ignored: summary.ignored.length }).toEqual(expected);
    expect(summary.findings.length + summary.ignored.length).toBe(root.findings.length);
  });

  it('counts what is left, worst first, and names ignores and expired entries as the user wrote them', () => {
    const summary = run('HIGH+>0,MEDIUM>5', 'AVD-KSV-0014  # writable /tmp\nksv118 exp:2026-06-14\n');
    expect(summary.counts).toEqual({ UNKNOWN: 0, LOW: 12, MEDIUM: 6, HIGH: 1, CRITICAL: 0 });
    expect(summary.gatedSeverities).toEqual(['MEDIUM', 'HIGH', 'CRITICAL']);
    expect(summary.findings[0]?.id).toBe('KSV-0118');
    expect(summary.findings.map((finding) => finding.severity)).toEqual([...summary.findings.map((finding) => finding.severity)].sort(bySeverity));
    expect(summary.ignored.map((entry) => [entry.finding.id, entry.reason])).toEqual([['KSV-0014', '.trivyignore:1']]);
    expect(summary.expiredRules.map((rule) => [rule.id, rule.origin])).toEqual([['ksv118', '.trivyignore:2']]);
  });

  it('fails closed on an object Trivy did not scan, even with every finding ignored, unless there is no policy', () => {
    const everything = [...new Set(edges.findings.map((finding: MisconfigFinding) => finding.id))].join('\n');
    const strict = summarisePolicyGate(edges, { failOn: parseFailOn('ANY>0'), ignoreRules: parseIgnoreFile(everything, '.trivyignore'), now });
    expect(strict.findings).toEqual([]);
    expect(strict.passed).toBe(false);
    expect(strict.reason).toBe('Trivy did not scan 1 object(s), so the gate cannot vouch for them: List/? (slipway-policy-edges/templates/list.yaml)');
    const failing = summarisePolicyGate(edges, { failOn: parseFailOn('CRITICAL>0'), ignoreRules: [], now });
    expect(failing.reason).toBe(
      'CRITICAL>0 broken: 2 CRITICAL finding(s); Trivy did not scan 1 object(s), so the gate cannot vouch for them: List/? (slipway-policy-edges/templates/list.yaml)',
    );
    const none = summarisePolicyGate(edges, { failOn: [], ignoreRules: [], now });
    expect(none.passed).toBe(true);
    expect(none.unscanned).toHaveLength(1);
  });
});

const order = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
function bySeverity(a: string, b: string): number {
  return order.indexOf(a) - order.indexOf(b);
}

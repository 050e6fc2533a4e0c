import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrivyReport } from '@slipway/core';
import { collectMisconfigFindings, splitManifest } from '../../../../packages/core/src/deploy/policy-gate/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/trivy');
/** A real `trivy config` report (test/fixtures/trivy/config-*.json) and the documents it scanned. */
const recorded = (name: string) => ({
  report: parseTrivyReport(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')),
  documents: splitManifest(readFileSync(path.join(fixtures, `${name}.manifest.yaml`), 'utf8')),
});

describe('collectMisconfigFindings on real Trivy 0.74 reports', () => {
  it('slipway-root: every failed check, on its object, its template and lines, with the message and the fix', () => {
    const { report, documents } = recorded('config-root-chart');
    const { findings, unscanned, scanned } = collectMisconfigFindings(report, documents);
    expect(scanned).toBe(3);
    expect(unscanned).toEqual([]);
    expect(findings).toHaveLength(20);
    // Trivy 0.74 reports the new ids (KSV-0012), not AVD-KSV-0012 nor KSV012.
    expect(findings.map((finding) => [finding.id, finding.severity])).toEqual([
      ['KSV-0001', 'MEDIUM'],
      ['KSV-0003', 'LOW'],
      ['KSV-0004', 'LOW'],
      ['KSV-0011', 'LOW'],
      ['KSV-0012', 'MEDIUM'],
      ['KSV-0014', 'HIGH'],
      ['KSV-0015', 'LOW'],
      ['KSV-0016', 'LOW'],
      ['KSV-0018', 'LOW'],
      ['KSV-0020', 'LOW'],
      ['KSV-0021', 'LOW'],
      ['KSV-0023', 'MEDIUM'],
      ['KSV-0030', 'LOW'],
      ['KSV-0104', 'MEDIUM'],
      ['KSV-0105', 'LOW'],
      ['KSV-0106', 'LOW'],
      ['KSV-0110', 'LOW'],
      ['KSV-0118', 'HIGH'],
      ['KSV-0125', 'MEDIUM'],
      ['SLIPWAY-K8S-0001', 'MEDIUM'],
    ]);
    expect(findings.find((finding) => finding.id === 'KSV-0011')).toEqual({
      kind: 'misconfiguration',
      id: 'KSV-0011',
      severity: 'LOW',
      target: 'slipway-root/templates/deployment.yaml',
      title: 'CPU not limited',
      primaryUrl: 'https://avd.aquasec.com/misconfig/ksv-0011',
      location: { startLine: 23, endLine: 33 },
      resource: 'Deployment/web-root',
      message: "Container 'app' of Deployment 'web-root' should set 'resources.limits.cpu'",
      resolution: "Set a limit value under 'containers[].resources.limits.cpu'.",
    });
    // Slipway's own check has no AVD page.
    expect(findings.find((finding) => finding.id === 'SLIPWAY-K8S-0001')).toMatchObject({
      title: 'Workload container has no readiness probe',
      message: "Container 'app' of Deployment 'web-root' should set 'readinessProbe'",
      location: { startLine: 23, endLine: 33 },
    });
    expect(findings.find((finding) => finding.id === 'SLIPWAY-K8S-0001')?.primaryUrl).toBeUndefined();
  });

  it('slipway-policy-edges: CRITICAL RBAC and HIGH host access found; a List Trivy did not scan is reported as unscanned', () => {
    const { report, documents } = recorded('config-policy-edges');
    const { findings, unscanned, scanned } = collectMisconfigFindings(report, documents);
    expect(scanned).toBe(3);
    expect(unscanned.map((document) => [document.file, document.object?.kind])).toEqual([['slipway-policy-edges/templates/list.yaml', 'List']]);
    const severe = findings.filter((finding) => finding.severity === 'CRITICAL' || finding.severity === 'HIGH');
    expect(severe.map((finding) => `${finding.severity} ${finding.id} ${finding.resource}`).sort()).toEqual([
      'CRITICAL KSV-0044 ClusterRole/web-god-mode',
      'CRITICAL KSV-0046 ClusterRole/web-god-mode',
      'HIGH KSV-0006 Pod/web-node-agent',
      'HIGH KSV-0009 Pod/web-node-agent',
      'HIGH KSV-0010 Pod/web-node-agent',
      'HIGH KSV-0014 Pod/web-node-agent',
      'HIGH KSV-0017 Pod/web-node-agent',
    ]);
    // The hardened Deployment keeps only what helm template cannot know (its namespace) and the registry.
    expect(findings.filter((finding) => finding.resource === 'Deployment/web-hardened').map((finding) => finding.id)).toEqual(['KSV-0110', 'KSV-0125']);
  });

  it('skips checks that passed and reports one finding per place and message', () => {
    const { report, documents } = recorded('config-root-chart');
    const [result] = report.results.filter((entry) => entry.misconfigurations.length > 0);
    if (!result) throw new Error('the fixture has a result with findings');
    const first = result.misconfigurations[0];
    if (!first) throw new Error('the fixture has findings');
    const doubled = {
      ...report,
      results: [{ ...result, misconfigurations: [first, { ...first }, { ...first, status: 'PASS' }, { ...first, startLine: 40, endLine: 41 }] }],
    };
    expect(collectMisconfigFindings(doubled, documents).findings.map((finding) => finding.location)).toEqual([
      { startLine: 23, endLine: 33 },
      { startLine: 40, endLine: 41 },
    ]);
  });

  it('names a result for a file it did not write after Trivy’s target', () => {
    const { report } = recorded('config-root-chart');
    const { findings, unscanned } = collectMisconfigFindings(report, []);
    expect(unscanned).toEqual([]);
    expect(findings[0]).toMatchObject({ target: 'slipway-root/templates/deployment.yaml', resource: 'slipway-root/templates/deployment.yaml' });
  });
});

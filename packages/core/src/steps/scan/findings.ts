import type { Severity } from './severity.ts';
import type { TrivyReport } from './trivy-report.ts';

/** One thing the gate counts: a vulnerability, an exposed secret or a failed misconfiguration check. */
export interface Finding {
  kind: 'vulnerability' | 'secret' | 'misconfiguration';
  id: string;
  severity: Severity;
  target: string;
  title: string;
  /** Vulnerabilities: the package. */
  pkgName?: string;
  pkgPath?: string;
  purl?: string;
  installedVersion?: string;
  fixedVersion?: string;
  status?: string;
  primaryUrl?: string;
}

/**
 * Flattens a report. The same CVE reported twice for one package in one target (Trivy does this when a
 * package appears in several layers' metadata) counts once.
 */
export function collectFindings(report: TrivyReport): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const push = (finding: Finding) => {
    const key = [finding.kind, finding.target, finding.id, finding.pkgName ?? '', finding.installedVersion ?? '', finding.pkgPath ?? ''].join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding);
  };
  for (const result of report.results) {
    for (const v of result.vulnerabilities) {
      push({
        kind: 'vulnerability',
        id: v.id,
        severity: v.severity,
        target: result.target,
        title: v.title ?? v.id,
        pkgName: v.pkgName,
        ...(v.pkgPath ? { pkgPath: v.pkgPath } : {}),
        ...(v.purl ? { purl: v.purl } : {}),
        installedVersion: v.installedVersion,
        ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
        ...(v.status ? { status: v.status } : {}),
        ...(v.primaryUrl ? { primaryUrl: v.primaryUrl } : {}),
      });
    }
    for (const s of result.secrets) {
      push({ kind: 'secret', id: s.ruleId, severity: s.severity, target: result.target, title: s.title });
    }
    for (const m of result.misconfigurations) {
      if (m.status !== 'FAIL') continue;
      push({
        kind: 'misconfiguration',
        id: m.id,
        severity: m.severity,
        target: result.target,
        title: m.title,
        ...(m.primaryUrl ? { primaryUrl: m.primaryUrl } : {}),
      });
    }
  }
  return findings;
}

/**
 * `ignore-unfixed`: drop vulnerabilities with no fixed version. Trivy marks those with Status
 * affected / will_not_fix / fix_deferred / end_of_life, or leaves FixedVersion empty.
 */
export function isUnfixed(finding: Finding): boolean {
  return finding.kind === 'vulnerability' && !finding.fixedVersion;
}

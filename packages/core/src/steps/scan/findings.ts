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
  /** Secrets and misconfigurations: the lines of `target` the finding is about. */
  location?: FindingLocation;
}

export interface FindingLocation {
  startLine: number;
  endLine: number;
}

/**
 * Flattens a report. The same CVE reported twice for one package in one target (Trivy does this when a
 * package appears in several layers' metadata) counts once. The location is part of a finding's
 * identity: one check failing at two places of one file (a Dockerfile with two `FROM x:latest` stages)
 * is two findings, as Trivy counts them.
 */
export function collectFindings(report: TrivyReport): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const push = (finding: Finding) => {
    const key = [
      finding.kind,
      finding.target,
      finding.id,
      finding.pkgName ?? '',
      finding.installedVersion ?? '',
      finding.pkgPath ?? '',
      finding.location ? `${finding.location.startLine}-${finding.location.endLine}` : '',
    ].join('\u0000');
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
      push({ kind: 'secret', id: s.ruleId, severity: s.severity, target: result.target, title: s.title, ...locationOf(s) });
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
        ...locationOf(m),
      });
    }
  }
  return findings;
}

function locationOf(item: { startLine: number | undefined; endLine: number | undefined }): { location?: FindingLocation } {
  if (item.startLine === undefined) return {};
  return { location: { startLine: item.startLine, endLine: Math.max(item.startLine, item.endLine ?? item.startLine) } };
}

/** `app/Dockerfile:3` or `app/Dockerfile:3-5`; just the target for findings without lines. */
export function describeFindingPlace(finding: Finding): string {
  const { location } = finding;
  if (!location) return finding.target;
  return `${finding.target}:${location.startLine}${location.endLine > location.startLine ? `-${location.endLine}` : ''}`;
}

/**
 * `ignore-unfixed`: drop vulnerabilities with no fixed version. Trivy marks those with Status
 * affected / will_not_fix / fix_deferred / end_of_life, or leaves FixedVersion empty.
 */
export function isUnfixed(finding: Finding): boolean {
  return finding.kind === 'vulnerability' && !finding.fixedVersion;
}

import type { Finding } from './findings.ts';
import type { IgnoreRule } from './ignore-rules.ts';
import type { PolicyDecision } from './scan-policy.ts';
import { emptyCounts, severityRank, type Severity, type SeverityCounts } from './severity.ts';

/** Everything reports are rendered from; the gate decision is made once, before any report exists. */
export interface ScanSummary {
  artifact: string;
  trivyVersion: string | undefined;
  decision: PolicyDecision;
  /** Findings the gate counted (after ignore-unfixed and ignore rules). */
  findings: Finding[];
  counts: SeverityCounts;
  /** Severities shown in reports (`severity` input); the gate counts all. */
  shownSeverities: Severity[];
  /** Severities some fail-on clause looks at. */
  gatedSeverities: Severity[];
  ignored: Array<{ finding: Finding; reason: string }>;
  expiredRules: IgnoreRule[];
  unfixedSkipped: number;
}

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** Worst first; fixable before unfixable within a severity (they are what a user can act on now). */
export function rankFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      Number(Boolean(b.fixedVersion)) - Number(Boolean(a.fixedVersion)) ||
      a.id.localeCompare(b.id) ||
      (a.pkgName ?? '').localeCompare(b.pkgName ?? ''),
  );
}

import { collectFindings, isUnfixed, type Finding } from './findings.ts';
import { applyIgnoreRules, type IgnoreRule } from './ignore-rules.ts';
import { evaluatePolicy, type PolicyClause, type PolicyDecision } from './scan-policy.ts';
import { emptyCounts, severityRank, type Severity, type SeverityCounts } from './severity.ts';
import type { TrivyReport } from './trivy-report.ts';

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
export function rankFindings<T extends Finding>(findings: readonly T[]): T[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      Number(Boolean(b.fixedVersion)) - Number(Boolean(a.fixedVersion)) ||
      a.id.localeCompare(b.id) ||
      (a.pkgName ?? '').localeCompare(b.pkgName ?? '') ||
      a.target.localeCompare(b.target) ||
      (a.location?.startLine ?? 0) - (b.location?.startLine ?? 0),
  );
}

export interface GateOptions {
  ignoreUnfixed: boolean;
  ignoreRules: readonly IgnoreRule[];
  clauses: readonly PolicyClause[];
  shownSeverities: readonly Severity[];
  now: Date;
  /** Reported Trivy version when the report does not say (it always does since 0.4x). */
  trivyVersion?: string | undefined;
}

/** The whole gate, a pure function of the report: flatten, drop unfixed, apply ignores, count, decide. */
export function summariseScan(report: TrivyReport, options: GateOptions): ScanSummary {
  const all = collectFindings(report);
  const fixable = options.ignoreUnfixed ? all.filter((finding) => !isUnfixed(finding)) : all;
  const { kept, ignored, expired } = applyIgnoreRules(fixable, options.ignoreRules, options.now);
  const counts = countBySeverity(kept);
  return {
    artifact: report.artifactName,
    trivyVersion: options.trivyVersion ?? report.trivyVersion,
    decision: evaluatePolicy(counts, options.clauses),
    findings: rankFindings(kept),
    counts,
    shownSeverities: [...options.shownSeverities],
    gatedSeverities: [...new Set(options.clauses.flatMap((clause) => clause.severities))],
    ignored: ignored.map(({ finding, rule }) => ({ finding, reason: `${rule.origin}${rule.statement ? `: ${rule.statement}` : ''}` })),
    expiredRules: expired,
    unfixedSkipped: all.length - fixable.length,
  };
}

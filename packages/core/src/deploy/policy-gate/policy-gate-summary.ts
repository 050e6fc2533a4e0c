import type { IgnoreRule } from '../../steps/scan/ignore-rules.ts';
import { applyIgnoreRules } from '../../steps/scan/ignore-rules.ts';
import { countBySeverity, rankFindings } from '../../steps/scan/scan-summary.ts';
import { evaluatePolicy, type PolicyClause, type PolicyDecision } from '../../steps/scan/scan-policy.ts';
import { severities, type Severity, type SeverityCounts } from '../../steps/scan/severity.ts';
import { canonicaliseIgnoreRules } from './check-ids.ts';
import type { CollectedMisconfigs, MisconfigFinding } from './misconfig-findings.ts';
import { describeObject, type ManifestDocument } from './split-manifest.ts';

/**
 * `policy-fail-on`'s default: fail on any HIGH or CRITICAL check, scan's `CRITICAL>0,HIGH>0` in one
 * clause. Trivy rates HIGH what lets a pod reach its node or the cluster (privileged, host namespaces and
 * ports, docker.sock, SYS_ADMIN/NET_RAW, a writable root filesystem, no security context at all) and
 * CRITICAL the RBAC that hands out the cluster (secrets, wildcards, impersonation). Running as root
 * (KSV-0012) and privilege escalation (KSV-0001) are MEDIUM, missing limits (KSV-0011, KSV-0018) LOW:
 * gate those with `MEDIUM+>0` or `ANY>0`.
 */
export const defaultPolicyFailOn = 'HIGH+>0';

export interface PolicyGateSummaryOptions {
  failOn: readonly PolicyClause[];
  ignoreRules: readonly IgnoreRule[];
  now: Date;
}

/** What the gate decided and why; reports and outputs are rendered from this alone. */
export interface PolicyGateSummary {
  passed: boolean;
  /** `HIGH+>0 broken: 2 HIGH/CRITICAL finding(s)`, `within policy HIGH+>0`, or why nothing could be decided. */
  reason: string;
  decision: PolicyDecision;
  /** Findings the gate counted (after ignores), worst first. */
  findings: MisconfigFinding[];
  counts: SeverityCounts;
  /** Severities some fail-on clause looks at. */
  gatedSeverities: Severity[];
  ignored: Array<{ finding: MisconfigFinding; reason: string }>;
  /** Ignore entries past their date, as written: they ignore nothing any more. */
  expiredRules: IgnoreRule[];
  /** Documents Trivy did not scan; with a policy they fail the gate (it fails closed). */
  unscanned: ManifestDocument[];
  /** Objects Trivy checked. */
  scanned: number;
}

/**
 * The gate as a pure function: ignore (ids in any spelling Trivy accepts, with expiry), count, decide.
 * An object Trivy did not scan fails the gate whenever there is a policy: a chart must not pass because
 * part of it went unchecked.
 */
export function summarisePolicyGate(collected: CollectedMisconfigs, options: PolicyGateSummaryOptions): PolicyGateSummary {
  const { rules, written } = canonicaliseIgnoreRules(options.ignoreRules);
  const { kept, ignored, expired } = applyIgnoreRules(collected.findings, rules, options.now);
  const counts = countBySeverity(kept);
  const decision = evaluatePolicy(counts, options.failOn);
  const unscanned = [...collected.unscanned];
  const failClosed = options.failOn.length > 0 && unscanned.length > 0;
  const unscannedReason = `Trivy did not scan ${unscanned.length} object(s), so the gate cannot vouch for them: ${unscanned
    .map((document) => `${describeObject(document)} (${document.source ?? document.file})`)
    .join(', ')}`;
  return {
    passed: decision.passed && !failClosed,
    reason: failClosed ? (decision.passed ? unscannedReason : `${decision.reason}; ${unscannedReason}`) : decision.reason,
    decision,
    findings: rankFindings(kept),
    counts,
    gatedSeverities: severities.filter((severity) => options.failOn.some((clause) => clause.severities.includes(severity))),
    ignored: ignored.map(({ finding, rule }) => {
      const original = written.get(rule) ?? rule;
      return { finding, reason: `${original.origin}${original.statement ? `: ${original.statement}` : ''}` };
    }),
    expiredRules: expired.map((rule) => written.get(rule) ?? rule),
    unscanned,
    scanned: collected.scanned,
  };
}

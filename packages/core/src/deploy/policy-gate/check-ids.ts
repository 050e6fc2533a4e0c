import type { IgnoreRule } from '../../steps/scan/ignore-rules.ts';

/**
 * The one spelling of a check id that Trivy 0.74 reports (`KSV-0012`), from any spelling users write.
 * Trivy's checks carry aliases — `AVD-KSV-0012`, the legacy `KSV012` (the check's Rego package,
 * `builtin.kubernetes.KSV012`) — and Trivy's own ignore files match every alias, but the JSON report
 * names only the ID (the aliases are `json:"-"` in Trivy's DetectedMisconfiguration), so the gate maps
 * what users write onto it: optional `AVD-`, a letter prefix, an optional dash, digits padded to four
 * (`KSV-01011` keeps its five). Ids of another shape (CVE-2024-1234, SLIPWAY-K8S-0001) are only
 * upper-cased.
 */
export function canonicalCheckId(id: string): string {
  const bare = id.trim().toUpperCase().replace(/^AVD-/, '');
  const match = /^([A-Z]+)-?(\d+)$/.exec(bare);
  return match ? `${match[1]}-${(match[2] as string).padStart(4, '0')}` : bare;
}

/**
 * The rules with their ids in canonical form, each mapped back to the rule as written, so messages quote
 * the user's own spelling and origin.
 */
export function canonicaliseIgnoreRules(rules: readonly IgnoreRule[]): { rules: IgnoreRule[]; written: Map<IgnoreRule, IgnoreRule> } {
  const written = new Map<IgnoreRule, IgnoreRule>();
  const canonical = rules.map((rule) => {
    const id = canonicalCheckId(rule.id);
    const copy = id === rule.id ? rule : { ...rule, id };
    written.set(copy, rule);
    return copy;
  });
  return { rules: canonical, written };
}

import { InputError } from '../../errors/index.ts';
import { isSeverity, severities, severityRank, type Severity, type SeverityCounts } from './severity.ts';

/** One clause of `fail-on`: fail when the count of `severities` is above `limit`. */
export interface PolicyClause {
  text: string;
  severities: Severity[];
  /** The largest allowed count. */
  limit: number;
}

/**
 * `fail-on`: comma-separated clauses, any of which fails the gate:
 * `CRITICAL>0`, `HIGH>5`, `HIGH>=3` (same as HIGH>2), `HIGH+>0` (HIGH or worse), `ANY>10`; or `none`.
 */
export function parseFailOn(text: string, input = 'fail-on'): PolicyClause[] {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'none') return [];
  const clauses = trimmed
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (clauses.length === 0) throw new InputError(input, 'is empty; use e.g. CRITICAL>0,HIGH>5, or none');
  return clauses.map((clause) => {
    const match = /^([A-Za-z]+)(\+?)\s*(>=|>)\s*(\d+)$/.exec(clause);
    if (!match) {
      throw new InputError(input, `${JSON.stringify(clause)} is not a clause like CRITICAL>0, HIGH>=5 or HIGH+>0`);
    }
    const [, rawName = '', orWorse, op, rawLimit = '0'] = match;
    const name = rawName.toUpperCase();
    let selected: Severity[];
    if (name === 'ANY') selected = [...severities];
    else if (isSeverity(name)) selected = orWorse ? severities.filter((s) => severityRank(s) >= severityRank(name)) : [name];
    else throw new InputError(input, `unknown severity '${rawName}' (known: ${severities.join(', ')}, ANY)`);
    const count = Number(rawLimit);
    const limit = op === '>=' ? count - 1 : count;
    return { text: clause, severities: selected, limit };
  });
}

export interface PolicyDecision {
  passed: boolean;
  /** One sentence, e.g. "CRITICAL>0 broken: 2 CRITICAL finding(s)". */
  reason: string;
  broken: Array<{ clause: PolicyClause; count: number }>;
}

export function evaluatePolicy(counts: SeverityCounts, clauses: readonly PolicyClause[]): PolicyDecision {
  const broken = clauses
    .map((clause) => ({ clause, count: clause.severities.reduce((sum, s) => sum + counts[s], 0) }))
    .filter(({ clause, count }) => count > clause.limit);
  if (broken.length === 0) {
    return { passed: true, reason: clauses.length === 0 ? 'no policy (fail-on: none)' : `within policy ${clauses.map((c) => c.text).join(',')}`, broken };
  }
  const reason = broken
    .map(
      ({ clause, count }) =>
        `${clause.text} broken: ${count} ${clause.severities.length === 1 ? clause.severities[0] : clause.severities.join('/')} finding(s)`,
    )
    .join('; ');
  return { passed: false, reason, broken };
}

/**
 * Fault injection for tests: the next N requests whose path matches a pattern get a 503, a connection
 * reset before any response, a reset after some bytes of the body, or find every ACR access token
 * revoked just before they are handled (a token expiring mid-push, deterministically).
 */

export type FaultKind = 'status-503' | 'reset' | 'reset-mid-body' | 'expire-tokens';

export interface FaultRule {
  kind: FaultKind;
  /** Regular expression tested against the request path (with query). */
  pathPattern: string;
  /** Only this HTTP method, if set. */
  method?: string;
  /** How many matching requests to affect (default 1). */
  count?: number;
  /** For `reset-mid-body`: bytes to let through before the reset (default 1024). */
  afterBytes?: number;
}

interface ArmedFault {
  rule: FaultRule;
  regex: RegExp;
  remaining: number;
}

export function isFaultRule(value: unknown): value is FaultRule {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.kind === 'status-503' || v.kind === 'reset' || v.kind === 'reset-mid-body' || v.kind === 'expire-tokens') &&
    typeof v.pathPattern === 'string' &&
    (v.method === undefined || typeof v.method === 'string') &&
    (v.count === undefined || (typeof v.count === 'number' && v.count > 0)) &&
    (v.afterBytes === undefined || (typeof v.afterBytes === 'number' && v.afterBytes >= 0))
  );
}

export class FaultInjector {
  private armed: ArmedFault[] = [];

  arm(rule: FaultRule): void {
    this.armed.push({ rule, regex: new RegExp(rule.pathPattern), remaining: rule.count ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  /** Consumes and returns the first armed fault matching the request, if any. */
  take(method: string, pathWithQuery: string): FaultRule | undefined {
    const hit = this.armed.find((f) => f.remaining > 0 && (!f.rule.method || f.rule.method.toUpperCase() === method) && f.regex.test(pathWithQuery));
    if (!hit) return undefined;
    hit.remaining -= 1;
    this.armed = this.armed.filter((f) => f.remaining > 0);
    return hit.rule;
  }

  pending(): FaultRule[] {
    return this.armed.map((f) => ({ ...f.rule, count: f.remaining }));
  }
}

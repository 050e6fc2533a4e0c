import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** A token the kube-token plugin got, kept in a 0600 file so that the next kubectl run reuses it. */
export interface CachedKubeToken {
  token: string;
  /** Epoch milliseconds: when Entra ID says the token expires. */
  expiresOn: number;
  /** Epoch milliseconds: when it was obtained (its lifetime sets how early it is renewed). */
  obtainedAt: number;
  /** The application it was issued for, so that a config naming another server never gets it. */
  serverId: string;
}

/** Renewal margin: 5 minutes before expiry, or a quarter of the lifetime for short-lived tokens. */
const maxMarginMs = 5 * 60_000;

/**
 * How long before its expiry a token stops being handed out: kubectl and client-go keep an exec
 * credential until the expirationTimestamp the plugin printed, and a request in flight at that moment
 * must still be accepted by the API server (clocks differ by seconds, not minutes).
 */
export function renewalMarginMs(token: Pick<CachedKubeToken, 'expiresOn' | 'obtainedAt'>): number {
  return Math.min(maxMarginMs, Math.max(0, (token.expiresOn - token.obtainedAt) / 4));
}

/** When a token should be renewed: its expiry less the margin. This is the ExecCredential's expirationTimestamp. */
export function renewAt(token: Pick<CachedKubeToken, 'expiresOn' | 'obtainedAt'>): number {
  return token.expiresOn - renewalMarginMs(token);
}

/**
 * The cached token for `serverId` if there is one that is not due for renewal at `now`; anything else
 * (no file, a file that is not ours, another server, a token near expiry) is a miss, never an error:
 * the plugin then gets a new token.
 */
export function readCachedToken(file: string, options: { serverId: string; now: number }): CachedKubeToken | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isCachedKubeToken(entry) || entry.serverId !== options.serverId) return undefined;
  return options.now < renewAt(entry) ? entry : undefined;
}

/**
 * Replaces the cache atomically: a 0600 file written beside it and renamed over it, so that two kubectl
 * processes asking at once each read a whole token, and the token never sits in a file anyone else can read.
 */
export function writeCachedToken(file: string, entry: CachedKubeToken): void {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

function isCachedKubeToken(value: unknown): value is CachedKubeToken {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.token === 'string' &&
    v.token !== '' &&
    typeof v.expiresOn === 'number' &&
    typeof v.obtainedAt === 'number' &&
    typeof v.serverId === 'string' &&
    v.expiresOn > v.obtainedAt
  );
}

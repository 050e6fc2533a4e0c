/**
 * ACR token model: scopes, RBAC-derived grants and the refresh/access JWTs.
 *
 * Claim sets follow Azure/acr `docs/AAD-OAuth.md` ("Azure Container Registry token claim sets"):
 * refresh token `{jti, sub, nbf, exp, iat, iss: "Azure Container Registry", aud: <login server>,
 * version: "1.0", grant_type: "refresh_token", tenant, permissions{actions, notActions}, roles}` and
 * access token `{…, access: [{type, name, actions}], grant_type: "access_token"}`. Scopes are the
 * Docker token scopes (distribution `docs/spec/auth/scope.md`): `repository:<name>:<actions>`,
 * `registry:catalog:*`; ACR adds `metadata_read`, `metadata_write` and `delete` actions
 * (learn.microsoft.com/azure/container-registry/container-registry-repository-scoped-permissions).
 */
import { randomUUID } from 'node:crypto';
import type { DoublesContext } from './context.ts';
import { nowSeconds } from './http-io.ts';
import { decodeJwt, hasValidSignature, numericClaim, signJwt, stringClaim, type JwtClaims } from './jwt.ts';
import type { AzureRoleName } from './model.ts';

export const ACR_ISSUER = 'Azure Container Registry';
/** Username meaning "the password is an ACR refresh token" (Azure/acr docs/AAD-OAuth.md). */
export const NULL_GUID_USER = '00000000-0000-0000-0000-000000000000';

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** Parses one or more scope strings (each may hold several space-separated scopes). */
export function parseScopes(values: readonly string[]): AccessEntry[] {
  const entries: AccessEntry[] = [];
  for (const value of values) {
    for (const scope of value.split(' ').filter((s) => s !== '')) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last === first) continue;
      entries.push({
        type: scope.slice(0, first),
        name: scope.slice(first + 1, last),
        actions: scope
          .slice(last + 1)
          .split(',')
          .filter((a) => a !== ''),
      });
    }
  }
  return entries;
}

export function formatScope(entry: AccessEntry): string {
  return `${entry.type}:${entry.name}:${entry.actions.join(',')}`;
}

/** Who a token speaks for: an Entra principal's roles, the admin user, or anonymous pull. */
export type AcrSubject = { kind: 'principal'; id: string; roles: AzureRoleName[] } | { kind: 'admin'; id: string } | { kind: 'anonymous' };

function allowedActions(subject: AcrSubject, type: string): string[] | '*' {
  if (subject.kind === 'admin') return '*';
  if (subject.kind === 'anonymous') return type === 'repository' ? ['pull'] : [];
  const roles = subject.roles;
  if (type === 'registry') return roles.some((r) => r === 'AcrPull' || r === 'AcrPush' || r === 'Reader') ? '*' : [];
  if (type !== 'repository') return [];
  const actions = new Set<string>();
  if (roles.includes('AcrPull')) for (const a of ['pull', 'metadata_read']) actions.add(a);
  if (roles.includes('AcrPush')) for (const a of ['pull', 'push', 'metadata_read', 'metadata_write']) actions.add(a);
  if (roles.includes('AcrDelete')) actions.add('delete');
  if (roles.includes('Reader')) actions.add('metadata_read');
  return [...actions];
}

/** Intersects the requested access with what the subject may do (Docker token spec: grant what is allowed). */
export function grantAccess(subject: AcrSubject, requested: readonly AccessEntry[]): AccessEntry[] {
  return requested.map((entry) => {
    const allowed = allowedActions(subject, entry.type);
    const actions = allowed === '*' ? entry.actions : entry.actions.flatMap((a) => (a === '*' ? allowed : allowed.includes(a) ? [a] : []));
    return { type: entry.type, name: entry.name, actions: [...new Set(actions)] };
  });
}

/** True when `granted` covers every action of every `needed` entry. */
export function covers(granted: readonly AccessEntry[], needed: readonly AccessEntry[]): boolean {
  return needed.every((n) =>
    n.actions.every((action) => granted.some((g) => g.type === n.type && g.name === n.name && (g.actions.includes(action) || g.actions.includes('*')))),
  );
}

/** Whether the subject could obtain `needed` at all (decides between 401 re-challenge and 403 DENIED). */
export function mayObtain(subject: AcrSubject, needed: readonly AccessEntry[]): boolean {
  return covers(grantAccess(subject, needed), needed);
}

export function issueAcrRefreshToken(ctx: DoublesContext, subject: AcrSubject): string {
  const loginServer = ctx.registry?.loginServer ?? '';
  const iat = nowSeconds();
  const jti = randomUUID();
  ctx.issuedJtis.acrRefresh.add(jti);
  return signJwt(ctx.acrKey, {
    jti,
    sub: subject.kind === 'anonymous' ? '' : subject.id,
    nbf: iat,
    exp: iat + ctx.acrRefreshTokenLifetimeSeconds,
    iat,
    iss: ACR_ISSUER,
    aud: loginServer,
    version: '1.0',
    grant_type: 'refresh_token',
    tenant: ctx.tenantId,
    permissions: { actions: ['*'], notActions: [] },
    roles: [],
  });
}

export function issueAcrAccessToken(ctx: DoublesContext, subject: AcrSubject, access: AccessEntry[]): string {
  const loginServer = ctx.registry?.loginServer ?? '';
  const iat = nowSeconds();
  const jti = randomUUID();
  ctx.issuedJtis.acrAccess.add(jti);
  return signJwt(ctx.acrKey, {
    jti,
    sub: subject.kind === 'anonymous' ? '' : subject.id,
    nbf: iat,
    exp: iat + ctx.acrAccessTokenLifetimeSeconds,
    iat,
    iss: ACR_ISSUER,
    aud: loginServer,
    version: '1.0',
    rid: randomUUID().replace(/-/g, ''),
    access,
    roles: [],
    grant_type: 'access_token',
  });
}

export type AcrTokenCheck = { ok: true; claims: JwtClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'audience' | 'grant' };

/** Validates an ACR-issued JWT of the given grant type. */
export function checkAcrToken(ctx: DoublesContext, token: string, grantType: 'refresh_token' | 'access_token'): AcrTokenCheck {
  const jwt = decodeJwt(token);
  if (!jwt) return { ok: false, reason: 'malformed' };
  if (!hasValidSignature(jwt, ctx.acrKey)) return { ok: false, reason: 'signature' };
  const claims = jwt.payload;
  const exp = numericClaim(claims, 'exp');
  const jti = stringClaim(claims, 'jti');
  if (exp === undefined || exp <= nowSeconds() || (jti !== undefined && ctx.revokedJtis.has(jti))) return { ok: false, reason: 'expired' };
  if (stringClaim(claims, 'iss') !== ACR_ISSUER || stringClaim(claims, 'aud') !== ctx.registry?.loginServer) return { ok: false, reason: 'audience' };
  if (stringClaim(claims, 'grant_type') !== grantType) return { ok: false, reason: 'grant' };
  return { ok: true, claims };
}

/** Reads the `access` claim of an ACR access token. */
export function accessOf(claims: JwtClaims): AccessEntry[] {
  const raw = claims.access;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null) return [];
    const r = e as Record<string, unknown>;
    if (typeof r.type !== 'string' || typeof r.name !== 'string' || !Array.isArray(r.actions)) return [];
    return [{ type: r.type, name: r.name, actions: r.actions.filter((a): a is string => typeof a === 'string') }];
  });
}

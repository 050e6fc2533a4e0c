/** State shared by the Entra ID, ACR and ARM doubles of one server instance. */
import type { FaultInjector } from './faults.ts';
import type { JwtSigningKey } from './jwt.ts';
import type { ClusterOptions, EntraApp, ManagedIdentity, Principal, RegistryOptions } from './model.ts';
import type { StatsRecorder } from './stats.ts';

/** An Entra access-token lifetime for one client and/or resource (undefined = any), optionally for the next `remaining` tokens only. */
export interface TokenLifetimeOverride {
  seconds: number;
  clientId?: string;
  resource?: string;
  /** Tokens still to issue with this lifetime; undefined = until cleared. */
  remaining?: number;
}

export interface DoublesContext {
  /** `https://host:port` of this server (no trailing slash). */
  url: string;
  tenantId: string;
  apps: EntraApp[];
  managedIdentity: ManagedIdentity;
  /** Issuer of the sandbox OIDC provider (stands in for GitHub Actions / a Kubernetes issuer). */
  oidcIssuer: string;
  entraKey: JwtSigningKey;
  oidcKey: JwtSigningKey;
  acrKey: JwtSigningKey;
  registry: (RegistryOptions & { loginServer: string }) | undefined;
  /** The ARM double's managed clusters (empty: no ARM double). */
  clusters: ClusterOptions[];
  accessTokenLifetimeSeconds: number;
  /** Lifetime overrides set by `POST /_sandbox/token-lifetime`, most specific first when looked up. */
  tokenLifetimeOverrides: TokenLifetimeOverride[];
  acrRefreshTokenLifetimeSeconds: number;
  acrAccessTokenLifetimeSeconds: number;
  /** Token ids revoked by `POST /_sandbox/expire-tokens`: treated as expired by every double. */
  revokedJtis: Set<string>;
  /** Token ids issued so far, by family, so they can be revoked. */
  issuedJtis: { entra: Set<string>; acrRefresh: Set<string>; acrAccess: Set<string> };
  stats: StatsRecorder;
  faults: FaultInjector;
}

/** Looks a principal up by object id (apps first, then the managed identity). */
export function findPrincipal(ctx: DoublesContext, objectId: string): Principal | undefined {
  const app = ctx.apps.find((a) => a.objectId === objectId);
  if (app) return { objectId: app.objectId, appId: app.clientId, roles: app.roles, ...(app.groups ? { groups: app.groups } : {}) };
  const mi = ctx.managedIdentity;
  if (mi.objectId === objectId) return { objectId: mi.objectId, appId: mi.clientId, roles: mi.roles, ...(mi.groups ? { groups: mi.groups } : {}) };
  return undefined;
}

/**
 * The lifetime of the next token for `clientId` and `resource`: the most specific override (client and
 * resource, client, resource, neither), consuming one of its `remaining` uses, else the default.
 */
export function takeTokenLifetime(ctx: DoublesContext, clientId: string, resource: string): number {
  const score = (o: TokenLifetimeOverride): number => {
    if ((o.clientId !== undefined && o.clientId !== clientId) || (o.resource !== undefined && o.resource !== resource)) return -1;
    return (o.clientId !== undefined ? 2 : 0) + (o.resource !== undefined ? 1 : 0);
  };
  let best: TokenLifetimeOverride | undefined;
  for (const o of ctx.tokenLifetimeOverrides) if (score(o) >= 0 && (best === undefined || score(o) > score(best))) best = o;
  if (!best) return ctx.accessTokenLifetimeSeconds;
  if (best.remaining !== undefined) {
    best.remaining -= 1;
    if (best.remaining <= 0) ctx.tokenLifetimeOverrides.splice(ctx.tokenLifetimeOverrides.indexOf(best), 1);
  }
  return best.seconds;
}

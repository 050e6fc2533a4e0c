/** State shared by the Entra ID, ACR and ARM doubles of one server instance. */
import type { FaultInjector } from './faults.ts';
import type { JwtSigningKey } from './jwt.ts';
import type { ClusterOptions, EntraApp, ManagedIdentity, Principal, RegistryOptions } from './model.ts';
import type { StatsRecorder } from './stats.ts';

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
  cluster: ClusterOptions | undefined;
  accessTokenLifetimeSeconds: number;
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
  if (app) return { objectId: app.objectId, appId: app.clientId, roles: app.roles };
  const mi = ctx.managedIdentity;
  if (mi.objectId === objectId) return { objectId: mi.objectId, appId: mi.clientId, roles: mi.roles };
  return undefined;
}

/**
 * One HTTPS server hosting the Entra ID, ACR and ARM doubles, plus test-only `/_sandbox/*` endpoints:
 * - `GET /_sandbox/stats`, `POST /_sandbox/stats/reset` — request counters and blob bytes.
 * - `POST /_sandbox/faults` `{kind: 'status-503'|'reset'|'reset-mid-body', pathPattern, method?, count?, afterBytes?}`
 *   (`pathPattern` is a RegExp tested against the percent-decoded path plus query),
 *   `GET /_sandbox/faults`, `DELETE /_sandbox/faults`.
 * - `POST /_sandbox/expire-tokens` `{families?: ['acrAccess'|'acrRefresh'|'entra']}` — every token of those
 *   families issued so far is treated as expired by the doubles (default: ACR access tokens). The sandbox
 *   kube-apiserver does not ask the doubles: for it only a token's `exp` counts (see token-lifetime).
 * - `POST /_sandbox/token-lifetime` `{seconds, clientId?, resource?, count?}` — Entra access tokens for that
 *   client and/or resource (`6dae42f8-…` or `6dae42f8-…/.default`) get this lifetime (`expires_in`, `exp`), for
 *   the next `count` tokens or until cleared; the most specific override wins. `GET` lists; `DELETE` with
 *   `{clientId?, resource?}` removes that override, without a body all of them.
 * - `POST /_sandbox/groups` `{clientId, groups: string[]}` — the Entra groups of an app or the managed
 *   identity (the `groups` claim of its AKS-audience tokens).
 * - `/_sandbox/oidc/*` — the sandbox OIDC issuer (see entra-double.ts).
 * Besides Entra ID, ACR and ARM: the Azure Monitor managed Prometheus query endpoint under
 * `/managed-prometheus/<workspace>` (managed-prometheus-double.ts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AcrDouble } from './acr-double.ts';
import { handleArmRequest } from './arm-double.ts';
import type { DoublesContext, TokenLifetimeOverride } from './context.ts';
import { entraV2Issuer, handleEntraRequest, mintFederatedToken, normalizeResource } from './entra-double.ts';
import { FaultInjector, isFaultRule, type FaultRule } from './faults.ts';
import { readJson, sendJson } from './http-io.ts';
import { createSigningKey } from './jwt.ts';
import { handleManagedPrometheusRequest, managedPrometheusQueryEndpoint } from './managed-prometheus-double.ts';
import {
  AKS_CLIENT_APP_ID,
  AKS_SERVER_APP_ID,
  DEFAULT_MANAGED_PROMETHEUS_WORKSPACE,
  DEFAULT_TENANT_ID,
  MANAGED_PROMETHEUS_AUDIENCES,
  MANAGED_PROMETHEUS_SCOPE,
  defaultApps,
  defaultManagedIdentity,
  type AzureDoublesOptions,
  type ClusterOptions,
  type EntraApp,
  type ManagedIdentity,
} from './model.ts';
import { StatsRecorder, type DoubleStats } from './stats.ts';

export type TokenFamily = 'acrAccess' | 'acrRefresh' | 'entra';

/** Everything a client needs to talk to the doubles (also written to `azure-doubles.json`). */
export interface AzureDoublesDescription {
  url: string;
  /** `AZURE_AUTHORITY_HOST` / `authorityHost` for @azure/identity (use with `disableInstanceDiscovery: true`). */
  authorityHost: string;
  tenantId: string;
  /** Issuer of `/_sandbox/oidc` tokens, trusted by the apps' federated credentials. */
  oidcIssuer: string;
  /** `AZURE_POD_IDENTITY_AUTHORITY_HOST` makes ManagedIdentityCredential call `${imdsHost}/metadata/identity/oauth2/token`. */
  imdsHost: string;
  /** App Service flavour: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`. */
  appServiceIdentityEndpoint: string;
  apps: EntraApp[];
  managedIdentity: ManagedIdentity;
  registry?: { endpoint: string; loginServer: string; upstream: string; anonymousPull: boolean; admin?: { username: string; password: string } };
  /** The first cluster (older callers); `clusters` lists all. */
  arm?: {
    endpoint: string;
    subscriptionId: string;
    resourceGroup: string;
    clusterName: string;
    location: string;
    kubernetesVersion: string;
  };
  clusters: Array<{
    name: string;
    subscriptionId: string;
    resourceGroup: string;
    location: string;
    kubernetesVersion: string;
    /** `entra`: AKS-managed Entra ID (exec kubeconfigs); `local`: local accounts (static tokens); `static`: a fixed kubeconfig. */
    kind: 'entra' | 'local' | 'static';
    disableLocalAccounts: boolean;
  }>;
  /** Entra ID sign-in to AKS: the server application (token audience), kubelogin's client, and the v2.0 issuer of AKS-audience tokens. */
  aks: { serverAppId: string; clientAppId: string; issuer: string };
  /**
   * Azure Monitor managed Prometheus (when `options.managedPrometheus` is set): the workspace's query endpoint
   * (`/api/v1/query` is appended to it), the token scope and audiences, and who may query (Monitoring Data Reader).
   */
  managedPrometheus?: {
    queryEndpoint: string;
    workspace: string;
    upstream: string;
    scope: string;
    audiences: string[];
    readers: Array<{ name: string; clientId: string; objectId: string }>;
  };
}

export interface AzureDoublesHandle {
  url: string;
  port: number;
  description: AzureDoublesDescription;
  /** Mints a token from the sandbox OIDC issuer (a federated credential's assertion). */
  mintFederatedToken(options: { subject: string; audience?: string; lifetimeSeconds?: number; issuedAtOffsetSeconds?: number }): string;
  stats(): DoubleStats;
  resetStats(): void;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  expireTokens(families?: TokenFamily[]): number;
  /** Sets an Entra access-token lifetime override (see `POST /_sandbox/token-lifetime`). */
  setTokenLifetime(override: { seconds: number; clientId?: string; resource?: string; count?: number }): void;
  clearTokenLifetimes(): void;
  /** Sets the Entra groups of the app (or managed identity) with this client id. */
  setGroups(clientId: string, groups: string[]): void;
  /** Registers a PEM certificate as a credential of the app with this client id. */
  registerCertificate(clientId: string, certificatePem: string): void;
  close(): Promise<void>;
}

function expire(ctx: DoublesContext, families: readonly TokenFamily[]): number {
  let n = 0;
  for (const family of families) {
    for (const jti of ctx.issuedJtis[family]) {
      ctx.revokedJtis.add(jti);
      n += 1;
    }
  }
  return n;
}

function parseLifetimeOverride(body: unknown): TokenLifetimeOverride | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const seconds = b.seconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 86400) return undefined;
  if (b.clientId !== undefined && typeof b.clientId !== 'string') return undefined;
  if (b.resource !== undefined && typeof b.resource !== 'string') return undefined;
  if (b.count !== undefined && (typeof b.count !== 'number' || !Number.isInteger(b.count) || b.count < 1)) return undefined;
  return {
    seconds,
    ...(typeof b.clientId === 'string' ? { clientId: b.clientId } : {}),
    ...(typeof b.resource === 'string' ? { resource: normalizeResource(b.resource) } : {}),
    ...(typeof b.count === 'number' ? { remaining: b.count } : {}),
  };
}

function setLifetime(ctx: DoublesContext, override: TokenLifetimeOverride): void {
  // One override per (client, resource): a new one replaces the old.
  ctx.tokenLifetimeOverrides = ctx.tokenLifetimeOverrides.filter((o) => o.clientId !== override.clientId || o.resource !== override.resource);
  ctx.tokenLifetimeOverrides.push(override);
}

function setGroups(ctx: DoublesContext, clientId: string, groups: string[]): boolean {
  const app = ctx.apps.find((a) => a.clientId === clientId);
  if (app) {
    app.groups = [...groups];
    return true;
  }
  if (ctx.managedIdentity.clientId === clientId) {
    ctx.managedIdentity.groups = [...groups];
    return true;
  }
  return false;
}

async function handleSandbox(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const method = req.method ?? 'GET';
  switch (`${method} ${url.pathname}`) {
    case 'GET /_sandbox/stats':
      sendJson(res, 200, ctx.stats.snapshot());
      return true;
    case 'POST /_sandbox/stats/reset':
      ctx.stats.reset();
      sendJson(res, 200, ctx.stats.snapshot());
      return true;
    case 'GET /_sandbox/faults':
      sendJson(res, 200, { pending: ctx.faults.pending() });
      return true;
    case 'DELETE /_sandbox/faults':
      ctx.faults.clear();
      sendJson(res, 200, { pending: [] });
      return true;
    case 'POST /_sandbox/faults': {
      const body = await readJson(req);
      if (!isFaultRule(body)) {
        sendJson(res, 400, { error: "expected {kind: 'status-503'|'reset'|'reset-mid-body', pathPattern: string, method?, count?, afterBytes?}" });
        return true;
      }
      ctx.faults.arm(body);
      sendJson(res, 200, { pending: ctx.faults.pending() });
      return true;
    }
    case 'POST /_sandbox/expire-tokens': {
      const body = (await readJson(req)) as { families?: unknown };
      const families = Array.isArray(body.families)
        ? body.families.filter((f): f is TokenFamily => f === 'acrAccess' || f === 'acrRefresh' || f === 'entra')
        : (['acrAccess'] as TokenFamily[]);
      sendJson(res, 200, { expired: expire(ctx, families) });
      return true;
    }
    case 'GET /_sandbox/token-lifetime':
      sendJson(res, 200, { defaultSeconds: ctx.accessTokenLifetimeSeconds, overrides: ctx.tokenLifetimeOverrides });
      return true;
    case 'DELETE /_sandbox/token-lifetime': {
      // A body {clientId?, resource?} removes that one override; no body removes all.
      const body = (await readJson(req)) as { clientId?: unknown; resource?: unknown };
      if (body.clientId === undefined && body.resource === undefined) ctx.tokenLifetimeOverrides = [];
      else {
        const clientId = typeof body.clientId === 'string' ? body.clientId : undefined;
        const resource = typeof body.resource === 'string' ? normalizeResource(body.resource) : undefined;
        ctx.tokenLifetimeOverrides = ctx.tokenLifetimeOverrides.filter((o) => o.clientId !== clientId || o.resource !== resource);
      }
      sendJson(res, 200, { defaultSeconds: ctx.accessTokenLifetimeSeconds, overrides: ctx.tokenLifetimeOverrides });
      return true;
    }
    case 'POST /_sandbox/token-lifetime': {
      const override = parseLifetimeOverride(await readJson(req));
      if (!override) {
        sendJson(res, 400, { error: 'expected {seconds: integer 1..86400, clientId?: string, resource?: string, count?: integer >= 1}' });
        return true;
      }
      setLifetime(ctx, override);
      sendJson(res, 200, { defaultSeconds: ctx.accessTokenLifetimeSeconds, overrides: ctx.tokenLifetimeOverrides });
      return true;
    }
    case 'POST /_sandbox/groups': {
      const body = (await readJson(req)) as { clientId?: unknown; groups?: unknown };
      const groups = Array.isArray(body.groups) && body.groups.every((g) => typeof g === 'string') ? (body.groups as string[]) : undefined;
      if (typeof body.clientId !== 'string' || !groups) {
        sendJson(res, 400, { error: 'expected {clientId: string, groups: string[]}' });
        return true;
      }
      if (!setGroups(ctx, body.clientId, groups)) {
        sendJson(res, 404, { error: `no app or managed identity with client id ${body.clientId}` });
        return true;
      }
      sendJson(res, 200, { clientId: body.clientId, groups });
      return true;
    }
    default:
      return false;
  }
}

function applyFault(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, fault: FaultRule): boolean {
  if (fault.kind === 'reset-mid-body') return false; // applied (and counted) by the handler that streams the body
  ctx.stats.fault(fault.kind);
  if (fault.kind === 'reset') {
    req.socket.destroy();
    return true;
  }
  if (fault.kind === 'status-503') {
    req.resume();
    sendJson(res, 503, { errors: [{ code: 'UNAVAILABLE', message: 'service unavailable (sandbox fault injection)' }] });
    return true;
  }
  if (fault.kind === 'expire-tokens') expire(ctx, ['acrAccess']); // then handled as usual: the token is now refused
  return false;
}

/**
 * Starts the doubles on `https://host:port`. Registry and cluster parts are enabled by
 * `options.registry` / `options.cluster`.
 */
export async function startAzureDoubles(options: AzureDoublesOptions): Promise<AzureDoublesHandle> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const oidcIssuer = `${url}/_sandbox/oidc`;
  const clusters: ClusterOptions[] = [...(options.cluster ? [options.cluster] : []), ...(options.clusters ?? [])];
  const cluster: ClusterOptions | undefined = clusters[0];
  const ctx: DoublesContext = {
    url,
    tenantId: (options.tenantId ?? DEFAULT_TENANT_ID).toLowerCase(),
    apps: options.apps ?? defaultApps(oidcIssuer),
    managedIdentity:
      options.managedIdentity ??
      defaultManagedIdentity(cluster?.subscriptionId ?? '00000000-0000-0000-0000-000000000000', cluster?.resourceGroup ?? 'slipway-sandbox'),
    oidcIssuer,
    entraKey: createSigningKey(),
    oidcKey: createSigningKey(),
    acrKey: createSigningKey(),
    registry: options.registry ? { ...options.registry, loginServer: options.registry.loginServer ?? `${urlHost}:${port}` } : undefined,
    clusters,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3599,
    tokenLifetimeOverrides: [],
    acrRefreshTokenLifetimeSeconds: options.acrRefreshTokenLifetimeSeconds ?? 3 * 3600,
    acrAccessTokenLifetimeSeconds: options.acrAccessTokenLifetimeSeconds ?? 75 * 60,
    revokedJtis: new Set(),
    issuedJtis: { entra: new Set(), acrRefresh: new Set(), acrAccess: new Set() },
    stats: new StatsRecorder(),
    faults: new FaultInjector(),
  };
  const acr = new AcrDouble(ctx);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', ctx.url);
    const method = req.method ?? 'GET';
    if (options.log) res.on('finish', () => process.stderr.write(`azure-doubles: ${method} ${url.pathname}${url.search} -> ${res.statusCode}\n`));
    const run = async (): Promise<void> => {
      if (url.pathname.startsWith('/_sandbox/') && !url.pathname.startsWith('/_sandbox/oidc')) {
        if (await handleSandbox(ctx, req, res, url)) return;
      } else {
        const fault = ctx.faults.take(method, `${decodeURIComponent(url.pathname)}${url.search}`);
        if (fault && applyFault(ctx, req, res, fault)) return;
        if (await handleEntraRequest(ctx, req, res, url)) return;
        if (await handleManagedPrometheusRequest(ctx, options.managedPrometheus, req, res, url)) return;
        if (await acr.handle(req, res, url, fault)) return;
        if (await handleArmRequest(ctx, req, res, url)) return;
      }
      sendJson(res, 404, { error: { code: 'NotFound', message: `No sandbox Azure double serves ${method} ${url.pathname}` } });
    };
    run().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message } });
      else res.destroy();
    });
  });

  const description: AzureDoublesDescription = {
    url,
    authorityHost: url,
    tenantId: ctx.tenantId,
    oidcIssuer,
    imdsHost: url,
    appServiceIdentityEndpoint: `${url}/msi/token`,
    apps: ctx.apps,
    managedIdentity: ctx.managedIdentity,
    ...(ctx.registry
      ? {
          registry: {
            endpoint: url,
            loginServer: ctx.registry.loginServer,
            upstream: ctx.registry.upstream,
            anonymousPull: ctx.registry.anonymousPull ?? false,
            ...(ctx.registry.admin ? { admin: ctx.registry.admin } : {}),
          },
        }
      : {}),
    ...(cluster
      ? {
          arm: {
            endpoint: url,
            subscriptionId: cluster.subscriptionId,
            resourceGroup: cluster.resourceGroup,
            clusterName: cluster.name,
            location: cluster.location,
            kubernetesVersion: cluster.kubernetesVersion,
          },
        }
      : {}),
    clusters: clusters.map((c) => ({
      name: c.name,
      subscriptionId: c.subscriptionId,
      resourceGroup: c.resourceGroup,
      location: c.location,
      kubernetesVersion: c.kubernetesVersion,
      kind: c.userKubeconfig !== undefined ? ('static' as const) : c.aad ? ('entra' as const) : ('local' as const),
      disableLocalAccounts: c.disableLocalAccounts ?? false,
    })),
    aks: { serverAppId: AKS_SERVER_APP_ID, clientAppId: AKS_CLIENT_APP_ID, issuer: entraV2Issuer(ctx) },
    ...(options.managedPrometheus
      ? {
          managedPrometheus: {
            queryEndpoint: managedPrometheusQueryEndpoint(ctx, options.managedPrometheus),
            workspace: options.managedPrometheus.workspace ?? DEFAULT_MANAGED_PROMETHEUS_WORKSPACE,
            upstream: options.managedPrometheus.upstream,
            scope: MANAGED_PROMETHEUS_SCOPE,
            audiences: [...MANAGED_PROMETHEUS_AUDIENCES],
            readers: [
              ...ctx.apps.filter((a) => a.roles.includes('Monitoring Data Reader')).map((a) => ({ name: a.name, clientId: a.clientId, objectId: a.objectId })),
              ...(ctx.managedIdentity.roles.includes('Monitoring Data Reader')
                ? [{ name: 'managed-identity', clientId: ctx.managedIdentity.clientId, objectId: ctx.managedIdentity.objectId }]
                : []),
            ],
          },
        }
      : {}),
  };

  return {
    url,
    port,
    description,
    mintFederatedToken: (o) => mintFederatedToken(ctx, o),
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    injectFault: (rule) => ctx.faults.arm(rule),
    clearFaults: () => ctx.faults.clear(),
    expireTokens: (families = ['acrAccess']) => expire(ctx, families),
    setTokenLifetime: ({ seconds, clientId, resource, count }) =>
      setLifetime(ctx, {
        seconds,
        ...(clientId !== undefined ? { clientId } : {}),
        ...(resource !== undefined ? { resource: normalizeResource(resource) } : {}),
        ...(count !== undefined ? { remaining: count } : {}),
      }),
    clearTokenLifetimes: () => {
      ctx.tokenLifetimeOverrides = [];
    },
    setGroups: (clientId, groups) => {
      if (!setGroups(ctx, clientId, groups)) throw new Error(`no app or managed identity with client id ${clientId}`);
    },
    registerCertificate: (clientId, certificatePem) => {
      const app = ctx.apps.find((candidate) => candidate.clientId === clientId);
      if (!app) throw new Error(`no app with client id ${clientId}`);
      app.certificates = [...(app.certificates ?? []), certificatePem];
    },
    close: () =>
      new Promise<void>((resolve) => {
        acr.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

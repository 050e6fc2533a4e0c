/**
 * Microsoft Entra ID double: OpenID metadata, JWKS, instance discovery, the v2.0 token endpoint
 * (client credentials with a secret or a federated client assertion) and the managed-identity
 * endpoints (IMDS and App Service shapes), plus the sandbox OIDC issuer whose tokens federated
 * credentials trust.
 *
 * Published shapes followed:
 * - OpenID metadata `GET /{tenant}/v2.0/.well-known/openid-configuration`:
 *   learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri;
 *   MSAL requires `authorization_endpoint`, `token_endpoint`, `issuer`, `jwks_uri`
 *   (msal-common `authority/OpenIdConfigResponse`) and accepts an issuer on the authority's own
 *   scheme+host+port (msal-common `Authority.validateIssuer`, rule 1).
 * - Instance discovery `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`:
 *   msal-common `authority/CloudInstanceDiscoveryResponse` (`tenant_discovery_endpoint`, `metadata[]`).
 *   NOTE: MSAL always sends this to login.microsoftonline.com (`AAD_INSTANCE_DISCOVERY_ENDPT`), not to
 *   the authority host, so clients must set `disableInstanceDiscovery: true`; this route only serves
 *   clients that are redirected here some other way.
 * - Token endpoint `POST /{tenant}/oauth2/v2.0/token`:
 *   learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (secret and
 *   certificate/assertion requests, success and error response fields) and
 *   learn.microsoft.com/entra/workload-id/workload-identity-federation (federated credential = issuer +
 *   subject + audience `api://AzureADTokenExchange`). Error codes and texts as real Entra returns them
 *   (learn.microsoft.com/entra/identity-platform/reference-error-codes; observed bodies quoted in
 *   OfficeDev/microsoft-365-agents-toolkit#8621 (7000215, HTTP 401 invalid_client),
 *   AzureAD/microsoft-authentication-library-for-dotnet#4951 (700024), Azure/azure-workload-identity#616
 *   (70021, HTTP 400 invalid_request), #1200 (700211), Azure/login#482 (700213),
 *   MicrosoftDocs/azure-docs#99862 (1002012)).
 * - IMDS `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…` with `Metadata: true`:
 *   learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#get-a-token-using-http.
 *   @azure/identity 4.14 (msal-node `ManagedIdentitySources/Imds`) uses `AZURE_POD_IDENTITY_AUTHORITY_HOST`
 *   as the IMDS base URL when set.
 * - App Service `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER`:
 *   learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
 *   (msal-node `ManagedIdentitySources/AppService`, selected when IDENTITY_ENDPOINT + IDENTITY_HEADER are set).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findPrincipal, takeTokenLifetime, type DoublesContext } from './context.ts';
import { nowSeconds, readForm, readJson, sendJson } from './http-io.ts';
import { decodeJwt, hasValidSignature, matchCertificateAssertion, numericClaim, signJwt, stringClaim, toPublicJwk, type JwtClaims } from './jwt.ts';
import { FEDERATED_AUDIENCE, KNOWN_RESOURCES, V2_TOKEN_RESOURCES, type EntraApp, type Principal } from './model.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '.0000000Z');
}

function aadTimestamp(): string {
  return new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Sends an Entra error body: `{error, error_description: "AADSTSxxxx: … Trace ID … Correlation ID … Timestamp …", error_codes, …}`. */
function sendAadError(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, status: number, error: string, code: number, message: string): void {
  const traceId = randomUUID();
  const header = req.headers['client-request-id'];
  const correlationId = typeof header === 'string' && header ? header : randomUUID();
  const timestamp = aadTimestamp();
  sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${ctx.url}/error?code=${code}`,
  });
}

/** Issuer of v1.0 access tokens (the `https://sts.windows.net/{tid}/` form, on this host). */
export function entraTokenIssuer(ctx: DoublesContext): string {
  return `${ctx.url}/${ctx.tenantId}/`;
}

/**
 * Issuer of v2.0 access tokens: exactly the `issuer` of `/{tenant}/v2.0/.well-known/openid-configuration`
 * (learn.microsoft.com/entra/identity-platform/access-tokens#token-formats: `https://login.microsoftonline.com/{tid}/v2.0`).
 */
export function entraV2Issuer(ctx: DoublesContext): string {
  return `${ctx.url}/${ctx.tenantId}/v2.0`;
}

/** Maps `https://x/.default` (or a bare resource) to a known resource, tolerating a trailing slash. */
function knownResource(resource: string): string | undefined {
  const trimmed = resource.replace(/\/+$/, '');
  return KNOWN_RESOURCES.find((r) => r === trimmed);
}

/** A resource or scope as the token endpoint understands it (`x/.default`, `x/`, `x` → `x`). */
export function normalizeResource(resourceOrScope: string): string {
  const bare = resourceOrScope.replace(/\/\.default$/, '');
  return knownResource(bare) ?? bare.replace(/\/+$/, '');
}

/**
 * Signs an Entra access token for `principal` and `resource`. Claims as in app-only tokens
 * (learn.microsoft.com/entra/identity-platform/access-token-claims-reference): v1.0 (`appid`, `appidacr`,
 * `iss` = entraTokenIssuer) for most resources; v2.0 (`azp`, `azpacr`, `iss` = entraV2Issuer) plus the
 * principal's `groups` for V2_TOKEN_RESOURCES (the AKS server application). The lifetime is the default or
 * a `/_sandbox/token-lifetime` override.
 */
export function issueEntraAccessToken(
  ctx: DoublesContext,
  principal: Principal,
  resource: string,
  appidacr: '0' | '1' | '2',
  extra: JwtClaims = {},
): { token: string; expiresOn: number; issuedAt: number; lifetimeSeconds: number } {
  const normalized = knownResource(resource) ?? resource;
  const lifetimeSeconds = takeTokenLifetime(ctx, principal.appId, normalized);
  const iat = nowSeconds();
  const exp = iat + lifetimeSeconds;
  const jti = randomUUID();
  ctx.issuedJtis.entra.add(jti);
  const common = { aud: resource, iat, nbf: iat, exp, aio: randomUUID(), idtyp: 'app', oid: principal.objectId, rh: '0.sandbox.' };
  const claims: JwtClaims = V2_TOKEN_RESOURCES.includes(normalized)
    ? {
        ...common,
        iss: entraV2Issuer(ctx),
        azp: principal.appId,
        azpacr: appidacr,
        ...(principal.groups && principal.groups.length > 0 ? { groups: principal.groups } : {}),
        sub: principal.objectId,
        tid: ctx.tenantId,
        uti: jti,
        ver: '2.0',
      }
    : {
        ...common,
        iss: entraTokenIssuer(ctx),
        appid: principal.appId,
        appidacr,
        idp: entraTokenIssuer(ctx),
        sub: principal.objectId,
        tid: ctx.tenantId,
        uti: jti,
        ver: '1.0',
      };
  const token = signJwt(ctx.entraKey, { ...claims, ...extra });
  return { token, expiresOn: exp, issuedAt: iat, lifetimeSeconds };
}

export type EntraTokenCheck =
  | { ok: true; claims: JwtClaims; principal: Principal }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'audience' | 'issuer' | 'principal'; claims?: JwtClaims };

/** Validates an Entra access token the way a resource provider does (signature, issuer, tenant, time, audience). */
export function checkEntraAccessToken(ctx: DoublesContext, token: string, audiences: readonly string[]): EntraTokenCheck {
  const jwt = decodeJwt(token);
  if (!jwt) return { ok: false, reason: 'malformed' };
  const claims = jwt.payload;
  if (!hasValidSignature(jwt, ctx.entraKey)) return { ok: false, reason: 'signature', claims };
  const iss = stringClaim(claims, 'iss');
  if ((iss !== entraTokenIssuer(ctx) && iss !== entraV2Issuer(ctx)) || stringClaim(claims, 'tid') !== ctx.tenantId) {
    return { ok: false, reason: 'issuer', claims };
  }
  const exp = numericClaim(claims, 'exp');
  const jti = stringClaim(claims, 'uti');
  if (exp === undefined || exp <= nowSeconds() || (jti !== undefined && ctx.revokedJtis.has(jti))) {
    return { ok: false, reason: 'expired', claims };
  }
  const aud = stringClaim(claims, 'aud');
  if (!aud || !audiences.includes(aud)) return { ok: false, reason: 'audience', claims };
  const principal = findPrincipal(ctx, stringClaim(claims, 'oid') ?? '');
  if (!principal) return { ok: false, reason: 'principal', claims };
  return { ok: true, claims, principal };
}

function openIdConfiguration(ctx: DoublesContext, tenantSegment: string): Record<string, unknown> {
  const base = `${ctx.url}/${tenantSegment}`;
  const issuerTenant = tenantSegment === ctx.tenantId ? ctx.tenantId : '{tenantid}';
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${ctx.url}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.url}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function tenantKnown(ctx: DoublesContext, segment: string): boolean {
  return segment.toLowerCase() === ctx.tenantId || segment === 'common' || segment === 'organizations';
}

type ClientAuthResult = { ok: true; appidacr: '1' | '2' } | { ok: false };

/** Validates a federated client assertion against the app's federated identity credentials. */
function checkClientAssertion(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, app: EntraApp, assertion: string): ClientAuthResult {
  const jwt = decodeJwt(assertion);
  if (!jwt) {
    sendAadError(ctx, req, res, 400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    return { ok: false };
  }
  const claims = jwt.payload;
  const iss = stringClaim(claims, 'iss') ?? '';
  const sub = stringClaim(claims, 'sub') ?? '';
  const audClaim = claims.aud;
  const auds = Array.isArray(audClaim) ? audClaim.filter((a): a is string => typeof a === 'string') : typeof audClaim === 'string' ? [audClaim] : [];
  const now = nowSeconds();
  const exp = numericClaim(claims, 'exp');
  const nbf = numericClaim(claims, 'nbf');
  // Entra tolerates 5 minutes of clock skew on nbf, none on exp.
  if (exp === undefined || exp <= now || (nbf !== undefined && nbf > now + 300)) {
    sendAadError(
      ctx,
      req,
      res,
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${isoSeconds(now)}, assertion valid from ${isoSeconds(nbf ?? 0)}, expiry time of assertion ${isoSeconds(exp ?? 0)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
    return { ok: false };
  }
  if (iss === app.clientId) {
    // A certificate-signed assertion (ClientCertificateCredential): iss = sub = client id, aud = this
    // token endpoint, signed with a certificate registered on the app.
    if (sub !== app.clientId || !auds.some((a) => a.endsWith('/oauth2/v2.0/token'))) {
      sendAadError(ctx, req, res, 401, 'invalid_client', 700023, 'Client assertion audience claim does not match Realm issuer.');
      return { ok: false };
    }
    if (matchCertificateAssertion(jwt, app.certificates ?? []) === undefined) {
      sendAadError(ctx, req, res, 401, 'invalid_client', 700027, 'Client assertion failed signature validation. [Reason - The key was not found.]');
      return { ok: false };
    }
    return { ok: true, appidacr: '2' };
  }
  const byIssuer = app.federatedCredentials.filter((f) => f.issuer === iss);
  if (byIssuer.length === 0) {
    sendAadError(
      ctx,
      req,
      res,
      401,
      'invalid_client',
      700211,
      `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
    return { ok: false };
  }
  // Subject matching is case-sensitive (learn.microsoft.com/entra/identity-platform/reference-breaking-changes).
  const bySubject = byIssuer.filter((f) => f.subject === sub);
  if (bySubject.length === 0) {
    sendAadError(
      ctx,
      req,
      res,
      401,
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
    return { ok: false };
  }
  if (!bySubject.some((f) => auds.some((a) => f.audiences.includes(a)))) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
    return { ok: false };
  }
  if (iss !== ctx.oidcIssuer) {
    // Real Entra fetches {iss}/.well-known/openid-configuration; the sandbox is offline.
    sendAadError(ctx, req, res, 400, 'invalid_request', 50166, `Request to External OIDC endpoint failed. Issuer: '${iss}'.`);
    return { ok: false };
  }
  if (!hasValidSignature(jwt, ctx.oidcKey)) {
    sendAadError(ctx, req, res, 401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    return { ok: false };
  }
  return { ok: true, appidacr: '2' };
}

async function handleTokenRequest(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
  if (tenant.toLowerCase() !== ctx.tenantId) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
    return;
  }
  const form = await readForm(req);
  const grantType = form.get('grant_type');
  if (!grantType) {
    sendAadError(ctx, req, res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    return;
  }
  if (grantType !== 'client_credentials') {
    sendAadError(ctx, req, res, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
    return;
  }
  const clientId = form.get('client_id');
  if (!clientId) {
    sendAadError(ctx, req, res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    return;
  }
  const app = ctx.apps.find((a) => a.clientId === clientId);
  if (!app) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${ctx.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
    return;
  }
  const scope = form.get('scope');
  if (!scope) {
    sendAadError(ctx, req, res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    return;
  }
  const scopes = scope.split(' ').filter((s) => s !== '');
  const badScope = scopes.find((s) => !s.endsWith('/.default'));
  if (badScope !== undefined) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${badScope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
    return;
  }
  if (scopes.length !== 1) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
    return;
  }
  const requested = (scopes[0] as string).slice(0, -'/.default'.length);
  const resource = knownResource(requested);
  if (!resource) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${requested} was not found in the tenant named ${ctx.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
    return;
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  const assertionType = form.get('client_assertion_type');
  let auth: ClientAuthResult;
  if (secret !== null) {
    if (!app.secrets.includes(secret)) {
      sendAadError(
        ctx,
        req,
        res,
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
      return;
    }
    auth = { ok: true, appidacr: '1' };
  } else if (assertion !== null && assertionType === JWT_BEARER) {
    auth = checkClientAssertion(ctx, req, res, app, assertion);
    if (!auth.ok) return;
  } else {
    sendAadError(
      ctx,
      req,
      res,
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
    return;
  }
  const principal = findPrincipal(ctx, app.objectId) ?? { objectId: app.objectId, appId: app.clientId, roles: app.roles };
  const issued = issueEntraAccessToken(ctx, principal, resource, auth.appidacr);
  sendJson(res, 200, {
    token_type: 'Bearer',
    expires_in: issued.lifetimeSeconds,
    ext_expires_in: issued.lifetimeSeconds,
    access_token: issued.token,
  });
}

/** Resolves which identity an IMDS/App Service request asks for (`client_id`, `object_id`, `msi_res_id`/`mi_res_id`). */
function managedIdentityMatches(ctx: DoublesContext, query: URLSearchParams): boolean {
  const mi = ctx.managedIdentity;
  const clientId = query.get('client_id') ?? query.get('clientid');
  const objectId = query.get('object_id');
  const resId = query.get('msi_res_id') ?? query.get('mi_res_id');
  if (clientId !== null) return clientId === mi.clientId;
  if (objectId !== null) return objectId === mi.objectId;
  if (resId !== null) return resId.toLowerCase() === mi.resourceId.toLowerCase();
  return true;
}

function managedIdentityToken(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, flavour: 'imds' | 'appservice'): void {
  const resourceParam = query.get('resource');
  if (!resourceParam) {
    sendJson(res, 400, { error: 'invalid_request', error_description: "Required query variable 'resource' is missing" });
    return;
  }
  const resource = knownResource(resourceParam.replace(/\/\.default$/, ''));
  if (!resource) {
    sendJson(res, 400, {
      error: 'invalid_resource',
      error_description: `AADSTS500011: The resource principal named ${resourceParam} was not found in the tenant named ${ctx.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    });
    return;
  }
  if (!managedIdentityMatches(ctx, query)) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    return;
  }
  const mi = ctx.managedIdentity;
  const principal = findPrincipal(ctx, mi.objectId) ?? { objectId: mi.objectId, appId: mi.clientId, roles: mi.roles };
  const issued = issueEntraAccessToken(ctx, principal, resourceParam, '2', {
    xms_mirid: mi.resourceId,
  });
  if (flavour === 'imds') {
    // IMDS answers with strings for the numeric fields.
    sendJson(res, 200, {
      access_token: issued.token,
      client_id: mi.clientId,
      expires_in: String(issued.lifetimeSeconds),
      expires_on: String(issued.expiresOn),
      ext_expires_in: String(issued.lifetimeSeconds),
      not_before: String(issued.issuedAt),
      resource: resourceParam,
      token_type: 'Bearer',
    });
  } else {
    sendJson(res, 200, {
      access_token: issued.token,
      expires_on: String(issued.expiresOn),
      resource: resourceParam,
      token_type: 'Bearer',
      client_id: mi.clientId,
    });
  }
  void req;
}

/** Mints a token from the sandbox OIDC issuer (what a CI system or a Kubernetes issuer would give a workload). */
export function mintFederatedToken(
  ctx: DoublesContext,
  options: { subject: string; audience?: string; lifetimeSeconds?: number; issuedAtOffsetSeconds?: number },
): string {
  const iat = nowSeconds() + (options.issuedAtOffsetSeconds ?? 0);
  return signJwt(ctx.oidcKey, {
    iss: ctx.oidcIssuer,
    sub: options.subject,
    aud: options.audience ?? FEDERATED_AUDIENCE,
    iat,
    nbf: iat,
    exp: iat + (options.lifetimeSeconds ?? 600),
    jti: randomUUID(),
  });
}

/**
 * Routes Entra, managed identity and sandbox-OIDC requests. Returns false when the path is not
 * one of them.
 */
export async function handleEntraRequest(ctx: DoublesContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname;
  const method = req.method ?? 'GET';

  // msal-node builds the IMDS URL with a trailing slash; real IMDS accepts both forms.
  if ((path === '/metadata/identity/oauth2/token' || path === '/metadata/identity/oauth2/token/') && method === 'GET') {
    ctx.stats.request('mi.imds');
    if (req.headers.metadata !== 'true') {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
      return true;
    }
    if (!url.searchParams.get('api-version')) {
      sendJson(res, 400, { error: 'invalid_request', error_description: "Required query variable 'api-version' is missing" });
      return true;
    }
    managedIdentityToken(ctx, req, res, url.searchParams, 'imds');
    return true;
  }
  if ((path === '/msi/token' || path === '/msi/token/') && method === 'GET') {
    ctx.stats.request('mi.appservice');
    if (req.headers['x-identity-header'] !== ctx.managedIdentity.identityHeader) {
      sendJson(res, 401, { statusCode: 401, message: 'Unauthorized. X-IDENTITY-HEADER is missing or invalid.' });
      return true;
    }
    if (url.searchParams.get('api-version') !== '2019-08-01') {
      sendJson(res, 400, { statusCode: 400, message: "Unsupported or missing 'api-version'; expected 2019-08-01." });
      return true;
    }
    managedIdentityToken(ctx, req, res, url.searchParams, 'appservice');
    return true;
  }

  if (path === '/common/discovery/instance' && method === 'GET') {
    ctx.stats.request('entra.discovery');
    const authz = url.searchParams.get('authorization_endpoint') ?? '';
    const tenantMatch = /^https:\/\/[^/]+\/([^/]+)\//.exec(authz);
    const tenant = tenantMatch?.[1] ?? 'common';
    const host = new URL(ctx.url).host;
    sendJson(res, 200, {
      tenant_discovery_endpoint: `${ctx.url}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    return true;
  }

  if (path.startsWith('/_sandbox/oidc')) {
    const rest = path.slice('/_sandbox/oidc'.length);
    if (rest === '/.well-known/openid-configuration' && method === 'GET') {
      sendJson(res, 200, {
        issuer: ctx.oidcIssuer,
        jwks_uri: `${ctx.oidcIssuer}/keys`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf'],
      });
      return true;
    }
    if (rest === '/keys' && method === 'GET') {
      sendJson(res, 200, { keys: [toPublicJwk(ctx.oidcKey)] });
      return true;
    }
    if (rest === '/token' && method === 'POST') {
      const body = (await readJson(req)) as Record<string, unknown>;
      const subject = body.subject;
      if (typeof subject !== 'string' || subject === '') {
        sendJson(res, 400, { error: 'subject (string) is required' });
        return true;
      }
      const num = (k: string): number | undefined => (typeof body[k] === 'number' ? (body[k] as number) : undefined);
      const audience = typeof body.audience === 'string' ? body.audience : undefined;
      const lifetimeSeconds = num('lifetimeSeconds');
      const issuedAtOffsetSeconds = num('issuedAtOffsetSeconds');
      sendJson(res, 200, {
        token: mintFederatedToken(ctx, {
          subject,
          ...(audience !== undefined ? { audience } : {}),
          ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}),
          ...(issuedAtOffsetSeconds !== undefined ? { issuedAtOffsetSeconds } : {}),
        }),
      });
      return true;
    }
    return false;
  }

  const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys)$/.exec(path);
  if (!m) return false;
  const tenant = m[1] as string;
  const what = m[2] as string;
  if (what === 'oauth2/v2.0/token') {
    if (method !== 'POST') {
      sendAadError(ctx, req, res, 400, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
      return true;
    }
    ctx.stats.request('entra.token');
    await handleTokenRequest(ctx, req, res, tenant);
    return true;
  }
  if (!tenantKnown(ctx, tenant)) {
    sendAadError(
      ctx,
      req,
      res,
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
    return true;
  }
  if (what === 'discovery/v2.0/keys') {
    sendJson(res, 200, { keys: [toPublicJwk(ctx.entraKey, `${ctx.url}/${ctx.tenantId}/v2.0`)] });
    return true;
  }
  ctx.stats.request('entra.openid-configuration');
  sendJson(res, 200, openIdConfiguration(ctx, tenant));
  return true;
}

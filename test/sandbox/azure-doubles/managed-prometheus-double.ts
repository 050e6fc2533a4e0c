/**
 * Azure Monitor managed service for Prometheus double: the query endpoint of one Azure Monitor workspace
 * (`https://<workspace>.<region>.prometheus.monitor.azure.com`), served at
 * `<url>/managed-prometheus/<workspace>` in front of the sandbox's real Prometheus.
 *
 * Published behaviour followed:
 * - learn.microsoft.com/azure/azure-monitor/metrics/prometheus-api-promql: Microsoft Entra client
 *   credentials, token for `https://prometheus.monitor.azure.com` (scope `…/.default`), the caller needs the
 *   **Monitoring Data Reader** role on the workspace; `GET`/`POST` (form-encoded) on `/api/v1/query`,
 *   `/api/v1/query_range`, `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/<name>/values`, answered in
 *   Prometheus' own JSON. Monitoring Reader (and plain Reader) is not enough: they carry no data actions
 *   (MicrosoftDocs/azure-docs#114306, where Monitoring Reader could not query a workspace).
 * - Token checks as the other resource doubles (entra-double.ts `checkEntraAccessToken`): signature,
 *   issuer, tenant, expiry, audience. No public document shows the workspace endpoint's own error bodies,
 *   so they follow Azure Monitor's query APIs (learn.microsoft.com/azure/azure-monitor/logs/api/errors:
 *   401 `AuthenticationFailed` "Authentication failed. The 'Authorization' header is missing.",
 *   `InvalidAuthenticationToken`, `InvalidAuthenticationTokenAudience`; Azure/azure-sdk-for-net#37173:
 *   403 `InsufficientAccessError` "The provided credentials have insufficient access to perform the
 *   requested operation"), with the status RFC 6750 gives an unusable token (401 + a `WWW-Authenticate`
 *   Bearer challenge, as ARM does) where the Log Analytics page lists 403.
 * - Prometheus' own answers (200, 400 bad_data, 422 execution, 503 timeout) pass through unchanged. When the
 *   sandbox Prometheus does not answer, 503 with Prometheus' error envelope (`errorType: unavailable`), so
 *   a client sees the query fail as an error, not as an empty result.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DoublesContext } from './context.ts';
import { checkEntraAccessToken } from './entra-double.ts';
import { nowSeconds, parseAuthorization, readBody, sendJson } from './http-io.ts';
import { numericClaim, stringClaim } from './jwt.ts';
import { DEFAULT_MANAGED_PROMETHEUS_WORKSPACE, MANAGED_PROMETHEUS_AUDIENCES, type AzureRoleName, type ManagedPrometheusOptions } from './model.ts';

export const MANAGED_PROMETHEUS_PREFIX = '/managed-prometheus';
const DATA_READER_ROLES: readonly AzureRoleName[] = ['Monitoring Data Reader'];
const QUERY_PATHS = [/^\/api\/v1\/query$/, /^\/api\/v1\/query_range$/, /^\/api\/v1\/series$/, /^\/api\/v1\/labels$/, /^\/api\/v1\/label\/[^/]+\/values$/];
const UPSTREAM_TIMEOUT_MS = 30_000;

/** The workspace's query endpoint (what `/api/v1/query` is appended to). */
export function managedPrometheusQueryEndpoint(ctx: DoublesContext, options: ManagedPrometheusOptions): string {
  return `${ctx.url}${MANAGED_PROMETHEUS_PREFIX}/${options.workspace ?? DEFAULT_MANAGED_PROMETHEUS_WORKSPACE}`;
}

function azureError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message, correlationId: randomUUID() } }, headers);
}

/** RFC 6750 section 3: a request without credentials gets the bare challenge, an unusable token `invalid_token`. */
function challenge(ctx: DoublesContext, description?: string): Record<string, string> {
  const base = `Bearer authorization_uri="${ctx.url}/${ctx.tenantId}"`;
  return { 'WWW-Authenticate': description === undefined ? base : `${base}, error="invalid_token", error_description="${description}"` };
}

/** Routes `/managed-prometheus/<workspace>/…`; returns false for other paths. */
export async function handleManagedPrometheusRequest(
  ctx: DoublesContext,
  options: ManagedPrometheusOptions | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (!options || !url.pathname.startsWith(`${MANAGED_PROMETHEUS_PREFIX}/`)) return false;
  const rest = url.pathname.slice(MANAGED_PROMETHEUS_PREFIX.length + 1);
  const slash = rest.indexOf('/');
  const workspace = slash < 0 ? rest : rest.slice(0, slash);
  const apiPath = slash < 0 ? '' : rest.slice(slash);
  const method = req.method ?? 'GET';
  ctx.stats.request('managedPrometheus');
  // A real workspace endpoint is its own host name: an unknown workspace never gets as far as a token check.
  if (workspace !== (options.workspace ?? DEFAULT_MANAGED_PROMETHEUS_WORKSPACE)) {
    req.resume();
    azureError(res, 404, 'ResourceNotFound', `The Azure Monitor workspace '${workspace}' is not served by the sandbox managed Prometheus double.`);
    return true;
  }

  const auth = parseAuthorization(req);
  if (auth?.scheme !== 'bearer') {
    req.resume();
    azureError(res, 401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge(ctx));
    return true;
  }
  const check = checkEntraAccessToken(ctx, auth.token, MANAGED_PROMETHEUS_AUDIENCES);
  if (!check.ok && check.reason !== 'principal') {
    req.resume();
    if (check.reason === 'expired') {
      const exp = check.claims ? numericClaim(check.claims, 'exp') : undefined;
      azureError(
        res,
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${new Date((exp ?? 0) * 1000).toISOString()}' is earlier than current UTC time '${new Date(nowSeconds() * 1000).toISOString()}'.`,
        challenge(ctx, 'The access token has expired.'),
      );
    } else if (check.reason === 'audience') {
      const aud = check.claims ? stringClaim(check.claims, 'aud') : undefined;
      azureError(
        res,
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained from wrong audience or resource '${aud ?? ''}'. It should exactly match (including forward slash) with one of the allowed audiences '${MANAGED_PROMETHEUS_AUDIENCES.join("','")}'.`,
        challenge(ctx, 'The access token has an invalid audience.'),
      );
    } else {
      azureError(res, 401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge(ctx, 'The access token is invalid.'));
    }
    return true;
  }
  // A valid token of a principal without a data-reader role assignment on the workspace (or of one the
  // tenant does not know, which therefore has none).
  if (!check.ok || !check.principal.roles.some((r) => DATA_READER_ROLES.includes(r))) {
    req.resume();
    ctx.stats.response('managedPrometheus', 403);
    azureError(res, 403, 'InsufficientAccessError', 'The provided credentials have insufficient access to perform the requested operation');
    return true;
  }

  if (!QUERY_PATHS.some((p) => p.test(apiPath))) {
    req.resume();
    azureError(
      res,
      404,
      'NotFound',
      `'${apiPath || '/'}' is not a query API of the workspace; supported: /api/v1/query, /api/v1/query_range, /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values.`,
    );
    return true;
  }
  if (method !== 'GET' && method !== 'POST') {
    req.resume();
    azureError(res, 405, 'MethodNotAllowed', `The requested method '${method}' is not allowed for '${apiPath}'.`, { Allow: 'GET, POST' });
    return true;
  }
  await proxyToPrometheus(ctx, options.upstream, req, res, `${apiPath}${url.search}`);
  return true;
}

/** Forwards the query to Prometheus without the caller's token; Prometheus' status and JSON go back as they are. */
async function proxyToPrometheus(ctx: DoublesContext, upstream: string, req: IncomingMessage, res: ServerResponse, pathAndQuery: string): Promise<void> {
  const method = req.method ?? 'GET';
  const body = method === 'POST' ? await readBody(req) : undefined;
  const headers: Record<string, string> = { accept: 'application/json' };
  const contentType = req.headers['content-type'];
  if (body !== undefined) {
    headers['content-type'] = typeof contentType === 'string' ? contentType : 'application/x-www-form-urlencoded';
    headers['content-length'] = String(body.length);
  }
  const target = new URL(pathAndQuery, upstream);
  await new Promise<void>((resolve) => {
    const unavailable = (reason: string): void => {
      ctx.stats.response('managedPrometheus', 503);
      if (!res.headersSent) {
        sendJson(res, 503, { status: 'error', errorType: 'unavailable', error: `the workspace's query backend (${upstream}) did not answer: ${reason}` });
      } else res.destroy();
      resolve();
    };
    const upstreamReq = httpRequest(target, { method, headers, timeout: UPSTREAM_TIMEOUT_MS }, (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      ctx.stats.response('managedPrometheus', status);
      const out: Record<string, string> = { 'Cache-Control': 'no-store, no-cache' };
      const type = upstreamRes.headers['content-type'];
      if (typeof type === 'string') out['Content-Type'] = type;
      res.writeHead(status, out);
      upstreamRes.pipe(res);
      upstreamRes.on('end', () => resolve());
      upstreamRes.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstreamReq.on('timeout', () => upstreamReq.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => unavailable(err.code ?? err.message));
    upstreamReq.end(body);
  });
}

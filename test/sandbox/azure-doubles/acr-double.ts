/**
 * Azure Container Registry double in front of a real distribution registry.
 *
 * Published shapes followed:
 * - `POST /oauth2/exchange`, `POST /oauth2/token`, `GET /oauth2/token` (Basic), challenges and error
 *   bodies: Azure/acr `docs/AAD-OAuth.md`; request/response models from azure-sdk-for-js
 *   `sdk/containerregistry/container-registry` (generated `operations/authentication.ts`,
 *   `models/mappers.ts`: `AcrRefreshToken.refresh_token`, `AcrAccessToken.access_token`, `AcrErrors`);
 *   the SDK parses `Www-Authenticate` with `/(\w+?)="(.*?)"/g` and needs `service` and `scope`
 *   (`utils/wwwAuthenticateParser.ts`, `containerRegistryChallengeHandler.ts`) and decodes the refresh
 *   token's `exp` (`containerRegistryTokenCredential.ts`).
 * - `/v2/*`: OCI distribution-spec (opencontainers/distribution-spec `spec.md`), proxied unchanged to the
 *   upstream (relative `Location`, `Docker-Content-Digest`, streamed bodies); Docker token auth
 *   (distribution `docs/spec/auth/token.md`: 401 + `Www-Authenticate: Bearer realm,service,scope`,
 *   `error="insufficient_scope"`).
 * - `/acr/v1/*` (api-version 2021-07-01): azure-rest-api-specs
 *   `specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01/containerregistry.json`
 *   (Repositories, ContainerRepositoryProperties, TagList, ArtifactTagProperties, AcrManifests,
 *   ArtifactManifestProperties; pagination by `n`/`last` and `Link: <…>; rel="next"`).
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, pipeline } from 'node:stream';
import {
  NULL_GUID_USER,
  accessOf,
  checkAcrToken,
  covers,
  formatScope,
  grantAccess,
  issueAcrAccessToken,
  issueAcrRefreshToken,
  mayObtain,
  parseScopes,
  type AccessEntry,
  type AcrSubject,
} from './acr-tokens.ts';
import { findPrincipal, type DoublesContext } from './context.ts';
import { checkEntraAccessToken } from './entra-double.ts';
import type { FaultRule } from './faults.ts';
import { parseAuthorization, readBody, readForm, sendJson } from './http-io.ts';
import { stringClaim } from './jwt.ts';
import { ARM_AUDIENCES } from './model.ts';

/** Audiences ACR accepts for `/oauth2/exchange` (ACR audience, or ARM as in the older docs). */
const ACR_EXCHANGE_AUDIENCES = ['https://containerregistry.azure.net', 'https://containerregistry.azure.net/', ...ARM_AUDIENCES];
const AUTH_REQUIRED = 'authentication required, visit https://aka.ms/acr/authorization for more information.';
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'authorization'];

function acrErrors(code: string, message: string, detail?: unknown): { errors: Array<Record<string, unknown>> } {
  return { errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] };
}

/** State the ACR double keeps beside the upstream (first-seen times for `/acr/v1` timestamps). */
export class AcrDouble {
  private readonly agent: Agent;
  private readonly seen = new Map<string, { created: string; updated: string }>();

  constructor(private readonly ctx: DoublesContext) {
    this.agent = new Agent({ keepAlive: true, ...(ctx.registry?.upstreamCa ? { ca: ctx.registry.upstreamCa } : {}) });
  }

  close(): void {
    this.agent.destroy();
  }

  private get loginServer(): string {
    return this.ctx.registry?.loginServer ?? '';
  }

  private challengeHeader(scope?: string, error?: string): string {
    const parts = [`Bearer realm="${this.ctx.url}/oauth2/token"`, `service="${this.loginServer}"`];
    if (scope) parts.push(`scope="${scope}"`);
    if (error) parts.push(`error="${error}"`);
    return parts.join(',');
  }

  private sendChallenge(res: ServerResponse, needed: AccessEntry[] | undefined, error?: string): void {
    const scope = needed?.map(formatScope).join(' ');
    const detail = needed?.flatMap((n) => n.actions.map((a) => ({ Type: n.type, Name: n.name, Action: a })));
    sendJson(res, 401, acrErrors('UNAUTHORIZED', AUTH_REQUIRED, detail), {
      'Www-Authenticate': this.challengeHeader(scope, error),
      'Docker-Distribution-Api-Version': 'registry/2.0',
    });
  }

  private subjectFromSub(sub: string): AcrSubject | undefined {
    if (sub === '') return this.ctx.registry?.anonymousPull ? { kind: 'anonymous' } : undefined;
    const admin = this.ctx.registry?.admin;
    if (admin && sub === admin.username) return { kind: 'admin', id: sub };
    const principal = findPrincipal(this.ctx, sub);
    return principal ? { kind: 'principal', id: principal.objectId, roles: principal.roles } : undefined;
  }

  /** Basic credentials: admin user, or a service principal's client id + secret. */
  private subjectFromBasic(username: string, password: string): AcrSubject | undefined {
    const admin = this.ctx.registry?.admin;
    if (admin && username === admin.username && password === admin.password) return { kind: 'admin', id: username };
    const app = this.ctx.apps.find((a) => a.clientId === username && a.secrets.includes(password));
    return app ? { kind: 'principal', id: app.objectId, roles: app.roles } : undefined;
  }

  // ---------------------------------------------------------------- /oauth2/*

  private async exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.ctx.stats.request('acr.exchange');
    const form = await readForm(req);
    const grantType = form.get('grant_type');
    if (grantType !== 'access_token') {
      // access_token_refresh_token and refresh_token are deprecated and need AAD refresh tokens the double never issues.
      sendJson(res, 400, acrErrors('UNSUPPORTED', `grant_type '${grantType ?? ''}' is not supported; use 'access_token'.`));
      return;
    }
    if (form.get('service') !== this.loginServer) {
      sendJson(res, 400, acrErrors('DENIED', `service '${form.get('service') ?? ''}' does not match the registry '${this.loginServer}'.`));
      return;
    }
    const tenant = form.get('tenant');
    if (tenant && tenant !== this.ctx.tenantId) {
      sendJson(res, 401, acrErrors('UNAUTHORIZED', `the tenant '${tenant}' does not match the registry's tenant.`));
      return;
    }
    const aad = form.get('access_token') ?? '';
    const check = checkEntraAccessToken(this.ctx, aad, ACR_EXCHANGE_AUDIENCES);
    if (!check.ok) {
      const why =
        check.reason === 'expired'
          ? 'the access token is expired'
          : check.reason === 'audience'
            ? 'the access token has an invalid audience'
            : 'the access token is invalid';
      sendJson(res, 401, acrErrors('UNAUTHORIZED', `${why}.`));
      return;
    }
    const subject: AcrSubject = { kind: 'principal', id: check.principal.objectId, roles: check.principal.roles };
    sendJson(res, 200, { refresh_token: issueAcrRefreshToken(this.ctx, subject) });
  }

  private async tokenFromForm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.ctx.stats.request('acr.token');
    const form = await readForm(req);
    if (form.get('service') !== this.loginServer) {
      sendJson(res, 400, acrErrors('DENIED', `service '${form.get('service') ?? ''}' does not match the registry '${this.loginServer}'.`));
      return;
    }
    const requested = parseScopes(form.getAll('scope'));
    const grantType = form.get('grant_type');
    const refreshToken = form.get('refresh_token') ?? '';
    let subject: AcrSubject | undefined;
    if (grantType === 'password' && refreshToken === '') {
      subject = this.ctx.registry?.anonymousPull ? { kind: 'anonymous' } : undefined;
      if (!subject) {
        sendJson(res, 401, acrErrors('UNAUTHORIZED', AUTH_REQUIRED));
        return;
      }
    } else if (grantType === 'refresh_token') {
      const check = checkAcrToken(this.ctx, refreshToken, 'refresh_token');
      subject = check.ok ? this.subjectFromSub(stringClaim(check.claims, 'sub') ?? '') : undefined;
      if (!subject) {
        sendJson(res, 401, acrErrors('UNAUTHORIZED', check.ok ? AUTH_REQUIRED : `the refresh token is ${check.reason === 'expired' ? 'expired' : 'invalid'}.`));
        return;
      }
    } else {
      sendJson(res, 400, acrErrors('UNSUPPORTED', `grant_type '${grantType ?? ''}' is not supported.`));
      return;
    }
    sendJson(res, 200, { access_token: issueAcrAccessToken(this.ctx, subject, grantAccess(subject, requested)) });
  }

  /** Docker-client style: `GET /oauth2/token?service=…&scope=…` with Basic credentials. */
  private tokenFromBasic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.ctx.stats.request('acr.token.basic');
    const service = url.searchParams.get('service');
    if (service !== null && service !== this.loginServer) {
      sendJson(res, 400, acrErrors('DENIED', `service '${service}' does not match the registry '${this.loginServer}'.`));
      return;
    }
    const requested = parseScopes(url.searchParams.getAll('scope'));
    const auth = parseAuthorization(req);
    let subject: AcrSubject | undefined;
    let refreshToken: string | undefined;
    if (auth?.scheme === 'basic') {
      if (auth.username === NULL_GUID_USER) {
        const check = checkAcrToken(this.ctx, auth.password, 'refresh_token');
        subject = check.ok ? this.subjectFromSub(stringClaim(check.claims, 'sub') ?? '') : undefined;
        refreshToken = subject ? auth.password : undefined;
      } else {
        subject = this.subjectFromBasic(auth.username, auth.password);
      }
    } else if (!auth && this.ctx.registry?.anonymousPull) {
      subject = { kind: 'anonymous' };
    }
    if (!subject) {
      sendJson(res, 401, acrErrors('UNAUTHORIZED', AUTH_REQUIRED), { 'Www-Authenticate': `Basic realm="${this.ctx.url}/oauth2/token"` });
      return;
    }
    sendJson(res, 200, {
      access_token: issueAcrAccessToken(this.ctx, subject, grantAccess(subject, requested)),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    });
  }

  // ---------------------------------------------------------------- auth for /v2 and /acr/v1

  /** Checks the caller may do `needed`; sends the 401/403 itself and returns false otherwise. */
  private authorize(req: IncomingMessage, res: ServerResponse, needed: AccessEntry[] | undefined): boolean {
    const auth = parseAuthorization(req);
    if (!auth) {
      this.sendChallenge(res, needed);
      return false;
    }
    let subject: AcrSubject | undefined;
    let granted: AccessEntry[] = [];
    if (auth.scheme === 'basic') {
      subject = this.subjectFromBasic(auth.username, auth.password);
      if (!subject) {
        this.sendChallenge(res, needed);
        return false;
      }
      granted = needed ? grantAccess(subject, needed) : [];
    } else {
      const check = checkAcrToken(this.ctx, auth.token, 'access_token');
      if (!check.ok) {
        this.sendChallenge(res, needed, 'invalid_token');
        return false;
      }
      subject = this.subjectFromSub(stringClaim(check.claims, 'sub') ?? '');
      granted = accessOf(check.claims);
    }
    if (!needed || covers(granted, needed)) return true;
    if (subject && !mayObtain(subject, needed)) {
      sendJson(res, 403, acrErrors('DENIED', 'requested access to the resource is denied'));
      return false;
    }
    this.sendChallenge(res, needed, 'insufficient_scope');
    return false;
  }

  // ---------------------------------------------------------------- /v2 proxy

  private classifyV2(method: string, url: URL): { kind: string; needed: AccessEntry[] | undefined; repo?: string; section?: string; rest?: string } {
    const path = url.pathname;
    if (path === '/v2/' || path === '/v2') return { kind: 'v2.base', needed: undefined };
    if (path === '/v2/_catalog') return { kind: 'v2.catalog', needed: [{ type: 'registry', name: 'catalog', actions: ['*'] }] };
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)(\/.*)?$/.exec(path);
    if (!m) return { kind: 'v2.other', needed: undefined };
    // The SDK percent-encodes the repository name (`slipway%2Fweb`); ACR and distribution decode it.
    const repo = decodeURIComponent(m[1] as string);
    const section = m[2] as string;
    const rest = m[3] ?? '';
    const needed: AccessEntry[] = [];
    const verb = method.toLowerCase();
    if (method === 'GET' || method === 'HEAD') needed.push({ type: 'repository', name: repo, actions: ['pull'] });
    else if (method === 'DELETE') needed.push({ type: 'repository', name: repo, actions: ['delete'] });
    else needed.push({ type: 'repository', name: repo, actions: ['pull', 'push'] });
    let kind: string;
    if (section === 'manifests') kind = `v2.manifest.${verb}`;
    else if (section === 'blobs' && rest.startsWith('/uploads')) {
      const from = url.searchParams.get('from');
      if (method === 'POST' && url.searchParams.get('mount') && from) {
        needed.push({ type: 'repository', name: from, actions: ['pull'] });
        kind = 'v2.upload.mount';
      } else {
        kind =
          { POST: 'v2.upload.start', PATCH: 'v2.upload.patch', PUT: 'v2.upload.put', GET: 'v2.upload.status', DELETE: 'v2.upload.cancel' }[method] ??
          `v2.upload.${verb}`;
      }
    } else if (section === 'blobs') kind = `v2.blob.${verb}`;
    else kind = section === 'tags' ? 'v2.tags.list' : 'v2.referrers';
    return { kind, needed, repo, section, rest };
  }

  private async proxyV2(req: IncomingMessage, res: ServerResponse, url: URL, fault: FaultRule | undefined): Promise<void> {
    const method = req.method ?? 'GET';
    const info = this.classifyV2(method, url);
    this.ctx.stats.request(info.kind);
    res.on('finish', () => this.ctx.stats.response(info.kind, res.statusCode));
    if (!this.authorize(req, res, info.needed)) {
      // A challenged request never streams a body: keep a mid-body reset for the authorized retry.
      if (fault?.kind === 'reset-mid-body') this.ctx.faults.arm({ ...fault, count: 1 });
      return;
    }
    if (fault?.kind === 'reset-mid-body') this.ctx.stats.fault(fault.kind);
    if (info.kind === 'v2.base') {
      sendJson(res, 200, {}, { 'Docker-Distribution-Api-Version': 'registry/2.0' });
      return;
    }
    const registry = this.ctx.registry;
    if (!registry) {
      sendJson(res, 503, acrErrors('UNAVAILABLE', 'no upstream registry is configured for the sandbox ACR double'));
      return;
    }
    const upstream = new URL(registry.upstream);
    const isUpload = info.kind === 'v2.upload.patch' || info.kind === 'v2.upload.put';
    const isBlobGet = info.kind === 'v2.blob.get';
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';

    if (fault?.kind === 'reset-mid-body' && hasBody) {
      // Swallow part of the request body, then drop the connection (as a broken link would).
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= (fault.afterBytes ?? 1024)) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }

    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) headers[k] = v;
    headers.host = upstream.host;
    const upReq = httpsRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method,
        path: `${url.pathname}${url.search}`,
        headers,
        agent: this.agent,
      },
      (upRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = v;
        const location = upRes.headers.location;
        if (location?.startsWith(upstream.origin)) out.location = location.slice(upstream.origin.length);
        if (info.kind === 'v2.manifest.put' && upRes.statusCode === 201)
          this.noteManifest(info.repo ?? '', info.rest ?? '', upRes.headers['docker-content-digest']);
        res.writeHead(upRes.statusCode ?? 502, out);
        let sent = 0;
        const limit = fault?.kind === 'reset-mid-body' ? (fault.afterBytes ?? 1024) : Infinity;
        const meter = new Transform({
          transform: (chunk: Buffer, _enc, done) => {
            if (sent + chunk.length > limit) {
              const part = chunk.subarray(0, Math.max(0, limit - sent));
              sent += part.length;
              done(null, part);
              setImmediate(() => res.socket?.destroy());
              return;
            }
            sent += chunk.length;
            if (isBlobGet) this.ctx.stats.downloaded(chunk.length);
            done(null, chunk);
          },
        });
        pipeline(upRes, meter, res, () => undefined);
      },
    );
    upReq.on('error', (err) => {
      if (!res.headersSent) sendJson(res, 502, acrErrors('UNKNOWN', `upstream registry error: ${err.message}`));
      else res.destroy();
    });
    if (!hasBody) {
      upReq.end();
      req.resume();
      return;
    }
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        if (isUpload) this.ctx.stats.uploaded(chunk.length);
        done(null, chunk);
      },
    });
    pipeline(req, counter, upReq, (err) => {
      if (err) upReq.destroy(err);
    });
  }

  private noteManifest(repo: string, rest: string, digestHeader: string | string[] | undefined): void {
    const now = new Date().toISOString();
    const reference = rest.replace(/^\//, '');
    const digest = typeof digestHeader === 'string' ? digestHeader : undefined;
    for (const key of [digest ? `${repo}@${digest}` : undefined, reference.includes(':') ? undefined : `${repo}:${reference}`]) {
      if (!key) continue;
      const prev = this.seen.get(key);
      this.seen.set(key, { created: prev?.created ?? now, updated: now });
    }
  }

  private times(key: string): { created: string; updated: string } {
    let t = this.seen.get(key);
    if (!t) {
      const now = new Date().toISOString();
      t = { created: now, updated: now };
      this.seen.set(key, t);
    }
    return t;
  }

  // ---------------------------------------------------------------- upstream reads for /acr/v1

  private upstreamCall(method: string, path: string, accept?: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const registry = this.ctx.registry;
    if (!registry) return Promise.reject(new Error('no upstream registry configured'));
    const upstream = new URL(registry.upstream);
    return new Promise((resolve, reject) => {
      const r = httpsRequest(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path, agent: this.agent, headers: accept ? { accept } : {} },
        (res) => {
          readBody(res, 64 * 1024 * 1024).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), reject);
        },
      );
      r.on('error', reject);
      r.end();
    });
  }

  private async upstreamCatalog(): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined = '/v2/_catalog?n=1000';
    while (next) {
      const r = await this.upstreamCall('GET', next);
      if (r.status !== 200) throw new Error(`upstream catalog answered ${r.status}`);
      const body = JSON.parse(r.body.toString('utf8')) as { repositories?: string[] };
      names.push(...(body.repositories ?? []));
      const link = r.headers.link;
      const m = typeof link === 'string' ? /<([^>]+)>/.exec(link) : null;
      next = m?.[1] ? (m[1].startsWith('http') ? new URL(m[1]).pathname + new URL(m[1]).search : m[1]) : undefined;
    }
    return [...new Set(names)].sort();
  }

  private async upstreamTags(repo: string): Promise<string[] | undefined> {
    const r = await this.upstreamCall('GET', `/v2/${repo}/tags/list`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`upstream tags/list answered ${r.status}`);
    const body = JSON.parse(r.body.toString('utf8')) as { tags?: string[] | null };
    return [...(body.tags ?? [])].sort();
  }

  private async manifestDigest(repo: string, reference: string): Promise<string | undefined> {
    const r = await this.upstreamCall('HEAD', `/v2/${repo}/manifests/${reference}`, MANIFEST_ACCEPT);
    const digest = r.headers['docker-content-digest'];
    return r.status === 200 && typeof digest === 'string' ? digest : undefined;
  }

  private async tagAttributes(repo: string, tag: string, digest: string): Promise<Record<string, unknown>> {
    const t = this.times(`${repo}:${tag}`);
    return {
      name: tag,
      digest,
      createdTime: t.created,
      lastUpdateTime: t.updated,
      signed: false,
      changeableAttributes: { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true },
    };
  }

  private async manifestAttributes(repo: string, digest: string, tags: string[]): Promise<Record<string, unknown> | undefined> {
    const r = await this.upstreamCall('GET', `/v2/${repo}/manifests/${digest}`, MANIFEST_ACCEPT);
    if (r.status !== 200) return undefined;
    const manifest = JSON.parse(r.body.toString('utf8')) as {
      mediaType?: string;
      config?: { mediaType?: string; digest?: string; size?: number };
      layers?: Array<{ size?: number }>;
      manifests?: Array<{ digest?: string; platform?: { architecture?: string; os?: string } }>;
    };
    const mediaType = manifest.mediaType ?? (typeof r.headers['content-type'] === 'string' ? r.headers['content-type'] : undefined);
    const t = this.times(`${repo}@${digest}`);
    const attrs: Record<string, unknown> = {
      digest,
      imageSize: r.body.length + (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((n, l) => n + (l.size ?? 0), 0),
      createdTime: t.created,
      lastUpdateTime: t.updated,
      mediaType,
      tags,
      changeableAttributes: { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true, quarantineState: 'Passed' },
    };
    if (manifest.config?.mediaType) attrs.configMediaType = manifest.config.mediaType;
    const configMediaType = manifest.config?.mediaType ?? '';
    if (manifest.config?.digest && /image\.config\.v1\+json|container\.image\.v1\+json/.test(configMediaType) && (manifest.config.size ?? 0) < 1024 * 1024) {
      const c = await this.upstreamCall('GET', `/v2/${repo}/blobs/${manifest.config.digest}`);
      if (c.status === 200) {
        try {
          const config = JSON.parse(c.body.toString('utf8')) as { architecture?: string; os?: string };
          if (config.architecture) attrs.architecture = config.architecture;
          if (config.os) attrs.os = config.os;
        } catch {
          // Not JSON: leave architecture/os unset, as ACR does for non-image artifacts.
        }
      }
    }
    if (manifest.manifests) {
      attrs.references = manifest.manifests.map((m) => ({ digest: m.digest, architecture: m.platform?.architecture, os: m.platform?.os }));
    }
    return attrs;
  }

  /** Applies ACR's `n`/`last`/`orderby` paging and sets the `Link` header. */
  private page<T>(res: ServerResponse, url: URL, items: T[], keyOf: (item: T) => string): T[] {
    const n = Number(url.searchParams.get('n') ?? '100');
    const last = url.searchParams.get('last');
    const orderby = url.searchParams.get('orderby') ?? '';
    const start = last ? items.findIndex((i) => keyOf(i) === last) + 1 : 0;
    const page = items.slice(start, start + (Number.isFinite(n) && n > 0 ? n : 100));
    const lastOnPage = page[page.length - 1];
    if (lastOnPage !== undefined && start + page.length < items.length) {
      const next = new URLSearchParams({ last: keyOf(lastOnPage), n: String(n), orderby });
      res.setHeader('Link', `<${url.pathname}?${next.toString()}>; rel="next"`);
    }
    return page;
  }

  private sortByTime<T extends Record<string, unknown>>(items: T[], orderby: string | null, nameKey: string): T[] {
    const byTime = (a: T, b: T): number => String(a.lastUpdateTime).localeCompare(String(b.lastUpdateTime));
    if (orderby === 'timedesc') return [...items].sort((a, b) => byTime(b, a));
    if (orderby === 'timeasc') return [...items].sort(byTime);
    return [...items].sort((a, b) => String(a[nameKey]).localeCompare(String(b[nameKey])));
  }

  private async acrV1(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const registry = this.loginServer;
    if (path === '/acr/v1/_catalog') {
      this.ctx.stats.request('acr.v1.catalog');
      if (!this.authorize(req, res, [{ type: 'registry', name: 'catalog', actions: ['*'] }])) return;
      const names = await this.upstreamCatalog();
      sendJson(res, 200, { repositories: this.page(res, url, names, (n) => n) });
      return;
    }
    const m = /^\/acr\/v1\/(.+?)(?:\/(_tags|_manifests)(?:\/([^/]+))?)?$/.exec(path);
    if (!m) {
      sendJson(res, 404, acrErrors('NOT_FOUND', 'the requested resource is not found'));
      return;
    }
    const repo = decodeURIComponent(m[1] as string);
    const section = m[2];
    const ref = m[3] ? decodeURIComponent(m[3]) : undefined;
    const action = method === 'GET' ? 'metadata_read' : method === 'DELETE' ? 'delete' : 'metadata_write';
    this.ctx.stats.request(`acr.v1.${section ?? 'repository'}${ref ? '.item' : ''}.${method.toLowerCase()}`);
    if (!this.authorize(req, res, [{ type: 'repository', name: repo, actions: [action] }])) return;
    if (method !== 'GET' && !(method === 'DELETE' && section === '_manifests' && ref)) {
      sendJson(res, 405, acrErrors('UNSUPPORTED', `${method} ${path} is not implemented by the sandbox ACR double`));
      return;
    }
    if (method === 'DELETE') {
      const r = await this.upstreamCall('DELETE', `/v2/${repo}/manifests/${ref}`);
      if (r.status === 202) res.writeHead(202).end();
      else res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
      return;
    }
    const tags = await this.upstreamTags(repo);
    if (!tags) {
      sendJson(res, 404, acrErrors('NAME_UNKNOWN', 'repository name not known to registry', { name: repo }));
      return;
    }
    const tagDigests = await Promise.all(tags.map(async (t) => ({ tag: t, digest: await this.manifestDigest(repo, t) })));
    const known = tagDigests.filter((t): t is { tag: string; digest: string } => t.digest !== undefined);
    if (!section) {
      const t = this.times(`${repo}:`);
      sendJson(res, 200, {
        registry,
        imageName: repo,
        createdTime: t.created,
        lastUpdateTime: t.updated,
        manifestCount: new Set(known.map((k) => k.digest)).size,
        tagCount: known.length,
        changeableAttributes: { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true, teleportEnabled: false },
      });
      return;
    }
    if (section === '_tags') {
      if (ref) {
        const hit = known.find((k) => k.tag === ref);
        if (!hit) {
          sendJson(res, 404, acrErrors('TAG_UNKNOWN', 'the specified tag does not exist', { name: repo, tag: ref }));
          return;
        }
        sendJson(res, 200, { registry, imageName: repo, tag: await this.tagAttributes(repo, hit.tag, hit.digest) });
        return;
      }
      const digestFilter = url.searchParams.get('digest');
      let items = await Promise.all(known.filter((k) => !digestFilter || k.digest === digestFilter).map((k) => this.tagAttributes(repo, k.tag, k.digest)));
      items = this.sortByTime(items, url.searchParams.get('orderby'), 'name');
      sendJson(res, 200, { registry, imageName: repo, tags: this.page(res, url, items, (i) => String(i.name)) });
      return;
    }
    const digests = [...new Set(known.map((k) => k.digest))];
    if (ref) {
      const attrs = await this.manifestAttributes(
        repo,
        ref,
        known.filter((k) => k.digest === ref).map((k) => k.tag),
      );
      if (!attrs) {
        sendJson(res, 404, acrErrors('MANIFEST_UNKNOWN', 'manifest unknown', { name: repo, reference: ref }));
        return;
      }
      sendJson(res, 200, { registry, imageName: repo, manifest: attrs });
      return;
    }
    const all = await Promise.all(
      digests.map((d) =>
        this.manifestAttributes(
          repo,
          d,
          known.filter((k) => k.digest === d).map((k) => k.tag),
        ),
      ),
    );
    let items = all.filter((a): a is Record<string, unknown> => a !== undefined);
    items = this.sortByTime(items, url.searchParams.get('orderby'), 'digest');
    sendJson(res, 200, { registry, imageName: repo, manifests: this.page(res, url, items, (i) => String(i.digest)) });
  }

  /** Routes `/oauth2/*`, `/v2/*` and `/acr/v1/*`; returns false for other paths. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, fault: FaultRule | undefined): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/oauth2/exchange' && method === 'POST') {
      await this.exchange(req, res);
      return true;
    }
    if (path === '/oauth2/token') {
      if (method === 'POST') await this.tokenFromForm(req, res);
      else if (method === 'GET') this.tokenFromBasic(req, res, url);
      else return false;
      return true;
    }
    if (path === '/v2' || path.startsWith('/v2/')) {
      await this.proxyV2(req, res, url, fault);
      return true;
    }
    if (path.startsWith('/acr/v1/')) {
      await this.acrV1(req, res, url);
      return true;
    }
    return false;
  }
}

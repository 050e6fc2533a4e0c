/**
 * Access to a running sandbox (`npm run sandbox:up`) for integration tests.
 *
 * `sandbox:up` writes `sandbox.json` into the run dir
 * (`$SLIPWAY_SANDBOX_DIR`, default `${SLIPWAY_CACHE:-~/.cache/slipway}/run`). When it is missing or
 * the sandbox does not answer, suites declared with {@link describeSandbox} are skipped, unless
 * `SLIPWAY_SANDBOX_REQUIRED=1`, in which case they fail with the reason.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';

export interface SandboxInfo {
  schema: number;
  startedAt: string;
  /** Every variable of sandbox.env (KUBECONFIG, REGISTRY, HELM3, TRIVY, PROMETHEUS_URL, ...). */
  env: Record<string, string>;
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

export function sandboxDir(): string {
  const cache = process.env.SLIPWAY_CACHE ?? path.join(os.homedir(), '.cache', 'slipway');
  return process.env.SLIPWAY_SANDBOX_DIR ?? path.join(cache, 'run');
}

function isSandboxInfo(value: unknown): value is SandboxInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.schema === 'number' && typeof v.env === 'object' && v.env !== null;
}

/** Reads sandbox.json and checks that the sandbox answers; returns why not otherwise. */
async function probe(): Promise<{ sandbox?: SandboxInfo; reason?: string }> {
  const file = path.join(sandboxDir(), 'sandbox.json');
  if (!existsSync(file)) return { reason: `${file} not found: run \`npm run sandbox:up\`` };
  const raw = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return { reason: `${file} is not JSON (${String(err)}): ${raw.slice(0, 200)}` };
  }
  if (!isSandboxInfo(parsed)) return { reason: `${file} has an unexpected shape: ${raw.slice(0, 200)}` };
  const url = parsed.env.METRICS_APP_URL;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return { reason: `sandbox metrics app answered ${res.status}` };
  } catch (err) {
    return { reason: `sandbox.json exists but the sandbox does not answer (${url}): ${String(err)}` };
  }
  return { sandbox: parsed };
}

const probed = await probe();
export const sandbox: SandboxInfo | undefined = probed.sandbox;

/**
 * `describe` that runs only with a live sandbox. Skips without one; with
 * `SLIPWAY_SANDBOX_REQUIRED=1` it fails instead.
 */
export function describeSandbox(name: string, body: (sb: SandboxInfo) => void): void {
  if (sandbox) {
    describe(name, () => body(sandbox));
  } else if (process.env.SLIPWAY_SANDBOX_REQUIRED === '1') {
    describe(name, () => {
      it('needs a running sandbox (SLIPWAY_SANDBOX_REQUIRED=1)', () => {
        throw new Error(`sandbox is not up: ${probed.reason}`);
      });
    });
  } else {
    describe.skip(`${name} (sandbox not up: ${probed.reason})`, () => {
      it('needs the sandbox', () => {});
    });
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell) with the sandbox environment; never throws on a non-zero exit. */
export function run(
  sb: SandboxInfo,
  file: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  const execOptions: ExecFileOptions = {
    env: { ...process.env, ...sb.env, ...options.env },
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
    cwd: options.cwd ?? repoRoot,
  };
  return new Promise((resolve) => {
    const child = execFile(file, args, execOptions, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like {@link run} but throws with the command's stderr when it fails. */
export async function runOk(sb: SandboxInfo, file: string, args: string[], options: Parameters<typeof run>[3] = {}): Promise<string> {
  const r = await run(sb, file, args, options);
  if (r.code !== 0) {
    throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  }
  return r.stdout;
}

export function kubectl(sb: SandboxInfo, args: string[]): Promise<string> {
  return runOk(sb, sb.env.KUBECTL ?? 'kubectl', ['--kubeconfig', sb.env.KUBECONFIG ?? '', ...args]);
}

export async function kubectlJson<T = unknown>(sb: SandboxInfo, args: string[]): Promise<T> {
  return JSON.parse(await kubectl(sb, [...args, '-o', 'json'])) as T;
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, { timeoutMs = 30_000, intervalMs = 250 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Unique, DNS-safe name for namespaces and releases. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export const chartDir = path.join(repoRoot, 'test/fixtures/charts/slipway-demo');

export interface PodList {
  items: Pod[];
}
export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; reason?: string };
  };
  lastState?: { terminated?: { exitCode: number; reason?: string } };
}
export interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { nodeName?: string; restartPolicy?: string };
  status: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
    containerStatuses?: ContainerStatus[];
  };
}

export function podReady(pod: Pod): boolean {
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** An HTTPS call that trusts `ca` (a PEM), for the Azure doubles and the API server; never throws on a status. */
export function httpsCall(
  url: string,
  init: { ca: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; text: string; json: () => unknown }> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node frames a DELETE body with neither Content-Length nor chunking otherwise.
    const headers = init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)), ...init.headers } : (init.headers ?? {});
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca: init.ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/**
 * An access token from the sandbox's Entra double (client credentials with a secret), e.g. for the AKS
 * server application: `scope` `${SANDBOX_AKS_SERVER_APP_ID}/.default`. Throws unless Entra answers 200.
 */
export async function entraToken(
  sb: SandboxInfo,
  options: { clientId: string; clientSecret: string; scope: string },
): Promise<{ accessToken: string; expiresIn: number; claims: Record<string, unknown> }> {
  const env = sb.env;
  const res = await httpsCall(`${env.AZURE_DOUBLES_URL}/${env.SANDBOX_TENANT_ID}/oauth2/v2.0/token`, {
    ca: readFileSync(env.SANDBOX_CA_CERT ?? '', 'utf8'),
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`Entra double answered ${res.status}: ${res.text}`);
  const body = res.json() as { access_token: string; expires_in: number };
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { accessToken: body.access_token, expiresIn: body.expires_in, claims };
}

/** `POST /_sandbox/token-lifetime` on the Azure doubles: the next `count` tokens (default: all) for that client/resource live `seconds`. */
export async function setEntraTokenLifetime(
  sb: SandboxInfo,
  override: { seconds: number; clientId?: string; resource?: string; count?: number },
): Promise<void> {
  const res = await httpsCall(`${sb.env.AZURE_DOUBLES_URL}/_sandbox/token-lifetime`, {
    ca: readFileSync(sb.env.SANDBOX_CA_CERT ?? '', 'utf8'),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(override),
  });
  if (res.status !== 200) throw new Error(`/_sandbox/token-lifetime answered ${res.status}: ${res.text}`);
}

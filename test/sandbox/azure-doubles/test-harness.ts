/**
 * Test harness: throwaway CA, the doubles in-process, optionally a real docker-registry upstream (or the
 * one named by SANDBOX_REGISTRY_UPSTREAM + SANDBOX_CA_CERT), a raw HTTPS client that trusts the CA, and
 * the environment for `runSdkProbe()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { startDockerRegistry, type RunningRegistry } from './docker-registry.ts';
import type { ClusterOptions, ManagedPrometheusOptions } from './model.ts';
import { startAzureDoubles, type AzureDoublesHandle } from './server.ts';
import { createTestCertificates, type TestCertificates } from './test-ca.ts';

export interface HarnessOptions {
  registry?: boolean;
  cluster?: Omit<ClusterOptions, 'userKubeconfig'> & { userKubeconfig?: string };
  /** More clusters, passed as they are (Entra ID / local-accounts flavours need `endpoint`). */
  clusters?: ClusterOptions[];
  anonymousPull?: boolean;
  admin?: { username: string; password: string };
  /** The managed Prometheus double in front of this Prometheus (any server speaking its HTTP API). */
  managedPrometheus?: ManagedPrometheusOptions;
}

export interface Harness {
  certs: TestCertificates;
  doubles: AzureDoublesHandle;
  registry?: RunningRegistry;
  /** NODE_EXTRA_CA_CERTS for SDK probes (a bundle when an external upstream has its own CA). */
  probeEnv: Record<string, string>;
  call(path: string, init?: RawInit): Promise<RawResponse>;
  close(): Promise<void>;
}

export interface RawInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export const SAMPLE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ZmFrZS1jYQ==
    server: https://127.0.0.1:6443
  name: slipway-aks
contexts:
- context:
    cluster: slipway-aks
    user: clusterUser_slipway-sandbox_slipway-aks
  name: slipway-aks
current-context: slipway-aks
users:
- name: clusterUser_slipway-sandbox_slipway-aks
  user:
    token: sandbox-user-token
`;

export function rawCall(baseUrl: string, ca: string, path: string, init: RawInit = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node frames a DELETE body with neither Content-Length nor chunking otherwise.
    const headers = init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)), ...init.headers } : (init.headers ?? {});
    const r = request(new URL(path, baseUrl), { method: init.method ?? 'GET', headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
    });
    r.on('error', reject);
    r.end(init.body);
  });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const certs = await createTestCertificates();
  let registry: RunningRegistry | undefined;
  let upstream: string | undefined;
  let upstreamCa: string | undefined;
  const externalUpstream = process.env.SANDBOX_REGISTRY_UPSTREAM;
  const externalCa = process.env.SANDBOX_CA_CERT;
  if (options.registry) {
    if (externalUpstream && externalCa && existsSync(externalCa)) {
      upstream = externalUpstream;
      upstreamCa = readFileSync(externalCa, 'utf8');
    } else {
      registry = await startDockerRegistry({ dir: certs.dir, certPath: certs.serverCertPath, keyPath: certs.serverKeyPath, caCert: certs.caCert });
      upstream = registry.url;
      upstreamCa = certs.caCert;
    }
  }
  const doubles = await startAzureDoubles({
    tls: { cert: certs.serverCert, key: certs.serverKey },
    ...(upstream
      ? {
          registry: {
            upstream,
            upstreamCa: upstreamCa ?? certs.caCert,
            anonymousPull: options.anonymousPull ?? false,
            ...(options.admin ? { admin: options.admin } : {}),
          },
        }
      : {}),
    ...(options.cluster ? { cluster: { ...options.cluster, userKubeconfig: options.cluster.userKubeconfig ?? SAMPLE_KUBECONFIG } } : {}),
    ...(options.clusters ? { clusters: options.clusters } : {}),
    ...(options.managedPrometheus ? { managedPrometheus: options.managedPrometheus } : {}),
  });
  return {
    certs,
    doubles,
    ...(registry ? { registry } : {}),
    probeEnv: { NODE_EXTRA_CA_CERTS: certs.caCertPath },
    call: (path, init) => rawCall(doubles.url, certs.caCert, path, init),
    close: async () => {
      await doubles.close();
      await registry?.close();
      await certs.cleanup();
    },
  };
}

/** Form-encodes a body. */
export function form(values: Record<string, string | string[]>): { body: string; headers: Record<string, string> } {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) for (const item of Array.isArray(v) ? v : [v]) p.append(k, item);
  return { body: p.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

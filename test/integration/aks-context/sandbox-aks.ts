import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxInfo } from '../sandbox/sandbox.ts';

/** The sandbox's AKS names (sandbox.env, SANDBOX_AKS_*), and the inputs that sign in to them. */
export interface SandboxAks {
  subscription: string;
  resourceGroup: string;
  entraCluster: string;
  localCluster: string;
  tenantId: string;
  serverAppId: string;
  doublesUrl: string;
  bound: { clientId: string; clientSecret: string; objectId: string; group: string };
  unbound: { clientId: string; clientSecret: string; objectId: string };
  kubectl: string;
  kubeVersion: string;
  /** What every host process needs besides its inputs: PATH, the sandbox CA for the doubles' HTTPS. */
  baseEnv: Record<string, string>;
}

export function sandboxAks(sb: SandboxInfo): SandboxAks {
  const env = sb.env;
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`sandbox.env has no ${name}: the sandbox predates issue #10 (npm run sandbox:up)`);
    return value;
  };
  return {
    subscription: need('SANDBOX_AKS_SUBSCRIPTION'),
    resourceGroup: need('SANDBOX_AKS_RESOURCE_GROUP'),
    entraCluster: need('SANDBOX_AKS_ENTRA_CLUSTER'),
    localCluster: need('SANDBOX_AKS_LOCAL_CLUSTER'),
    tenantId: need('SANDBOX_TENANT_ID'),
    serverAppId: need('SANDBOX_AKS_SERVER_APP_ID'),
    doublesUrl: need('AZURE_DOUBLES_URL'),
    bound: {
      clientId: need('SANDBOX_AKS_BOUND_CLIENT_ID'),
      clientSecret: need('SANDBOX_AKS_BOUND_CLIENT_SECRET'),
      objectId: need('SANDBOX_AKS_BOUND_OBJECT_ID'),
      group: need('SANDBOX_AKS_BOUND_GROUP'),
    },
    unbound: {
      clientId: need('SANDBOX_AKS_UNBOUND_CLIENT_ID'),
      clientSecret: need('SANDBOX_AKS_UNBOUND_CLIENT_SECRET'),
      objectId: need('SANDBOX_AKS_UNBOUND_OBJECT_ID'),
    },
    kubectl: env.KUBECTL ?? 'kubectl',
    kubeVersion: need('KUBE_VERSION'),
    baseEnv: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: need('SANDBOX_CA_CERT') },
  };
}

/** The cluster and sign-in inputs (kebab-case) for a client secret principal; the secret is given separately. */
export function clusterInputs(aks: SandboxAks, cluster: string, clientId: string): Record<string, string> {
  return {
    'subscription-id': aks.subscription,
    'resource-group': aks.resourceGroup,
    'cluster-name': cluster,
    'tenant-id': aks.tenantId,
    'client-id': clientId,
    'authority-host': aks.doublesUrl,
    'arm-endpoint': aks.doublesUrl,
  };
}

/** POSTs JSON to a test-only endpoint of the doubles (they serve HTTPS with the sandbox CA). */
export function callDoubles(sb: SandboxInfo, path: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const ca = readFileSync(sb.env.SANDBOX_CA_CERT as string, 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, sb.env.AZURE_DOUBLES_URL), { method, headers: { 'content-type': 'application/json' }, ca }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The federated credential subject the sandbox's bound app (`ci`) trusts. */
export const federatedSubject = 'repo:slipway/slipway:ref:refs/heads/main';

export interface IdTokenEndpoint {
  /** For ACTIONS_ID_TOKEN_REQUEST_URL (GET `&audience=`). */
  githubUrl: string;
  /** For SYSTEM_OIDCREQUESTURI (POST `?api-version=7.1&serviceConnectionId=`). */
  azurePipelinesUrl: string;
  /** Every request: when, with which bearer token. */
  requests: Array<{ at: number; authorization: string | undefined; serviceConnectionId: string | null }>;
  close(): Promise<void>;
}

/**
 * The runner's and the agent's ID token endpoints, minting from the sandbox OIDC issuer the bound app
 * trusts, with a short lifetime (`assertionSeconds`) as CI tokens near the end of their 10 minutes.
 */
export async function startIdTokenEndpoint(sb: SandboxInfo, assertionSeconds: number): Promise<IdTokenEndpoint> {
  const requests: IdTokenEndpoint['requests'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ at: Date.now(), authorization: req.headers.authorization, serviceConnectionId: url.searchParams.get('serviceConnectionId') });
    const audience = url.searchParams.get('audience') ?? 'api://AzureADTokenExchange';
    callDoubles(sb, '/_sandbox/oidc/token', 'POST', { subject: federatedSubject, audience, lifetimeSeconds: assertionSeconds }).then(
      ({ json }) => {
        const token = (json as { token: string }).token;
        const body = url.pathname === '/oidctoken' ? { oidcToken: token } : { value: token };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    githubUrl: `http://127.0.0.1:${port}/token?api-version=2.0`,
    azurePipelinesUrl: `http://127.0.0.1:${port}/oidctoken`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs the Azure doubles as a sandbox service:
 *
 *   npx tsx test/sandbox/azure-doubles/main.ts
 *
 * Environment:
 *   SANDBOX_TLS_CERT, SANDBOX_TLS_KEY   PEM paths of the server certificate (must cover 127.0.0.1)   required
 *   SANDBOX_CA_CERT                     PEM path of the CA (trusts the upstream registry; copied into the description)
 *   SANDBOX_REGISTRY_UPSTREAM           e.g. https://127.0.0.1:5443 (distribution, TLS, relativeurls)  optional
 *   SANDBOX_KUBECONFIG                  the sandbox cluster's admin kubeconfig (read on each request, so it may appear
 *                                       after the doubles start): returned as is by cluster `slipway-aks`, and the API
 *                                       server + CA (+ admin client certificate) of `slipway-aks-entra`/`-local` optional
 *   SANDBOX_ADMIN_KUBECONFIG            kubeconfig `slipway-aks` returns for listClusterAdminCredential (default: SANDBOX_KUBECONFIG)
 *   SANDBOX_AKS_LOCAL_ACCOUNTS          JSON file {userToken, adminToken}: the static tokens of the local-accounts cluster
 *                                       (the API server's --token-auth-file knows them); without it there is no such cluster
 *   SANDBOX_TENANT_ID                   the Entra tenant (default 5c1f2a3b-7d4e-4f60-9a8b-0c1d2e3f4a5b)
 *   SANDBOX_AZURE_PORT                  listen port (default 0 = any free port; read it from the description)
 *   SANDBOX_AZURE_HOST                  listen address (default 127.0.0.1)
 *   SANDBOX_RUN_DIR                     where azure-doubles.pid and azure-doubles.json are written    required
 *   SANDBOX_ACR_ANONYMOUS_PULL          "true" enables anonymous pull (default false)
 *   SANDBOX_ACR_ADMIN_PASSWORD          enables the admin user `slipwaysandbox` with this password
 *   SANDBOX_AKS_KUBERNETES_VERSION      reported kubernetesVersion (default 1.31.0)
 *   SANDBOX_PROMETHEUS_UPSTREAM         e.g. http://127.0.0.1:9190: enables the managed Prometheus double, whose
 *                                       workspace query endpoint proxies to it (read per request: may start later) optional
 *   SANDBOX_MANAGED_PROMETHEUS_WORKSPACE its workspace name (default slipway-sandbox-amw)
 *   SANDBOX_AZURE_LOG                   "true" logs one line per request to stderr
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ClusterEndpoint, ClusterOptions, LocalAccounts } from './model.ts';
import { startAzureDoubles } from './server.ts';

/** Names tests and the product steps use (exported to sandbox.env by sandbox.sh from azure-doubles.json). */
const SUBSCRIPTION_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const RESOURCE_GROUP = 'slipway-sandbox';
const LEGACY_CLUSTER = 'slipway-aks';
const ENTRA_CLUSTER = 'slipway-aks-entra';
const LOCAL_CLUSTER = 'slipway-aks-local';

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }>;
  users?: Array<{ name: string; user: Record<string, string | undefined> }>;
}

/** Reads a file a kubeconfig names (relative to the kubeconfig's directory) or its inline `*-data`. */
function kubeconfigBytes(file: string, path: string | undefined, data: string | undefined): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (path) return readFileSync(resolve(dirname(file), path), 'utf8');
  return undefined;
}

/** The current context's API server, CA and client certificate, read from the kubeconfig file now. */
function readKubeconfig(file: string): { endpoint: ClusterEndpoint; clientCertificatePem?: string; clientKeyPem?: string } {
  const config = parse(readFileSync(file, 'utf8')) as KubeconfigFile;
  const context = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster) ?? config.clusters?.[0];
  if (!cluster) throw new Error(`${file}: no cluster`);
  const ca = kubeconfigBytes(file, cluster.cluster['certificate-authority'], cluster.cluster['certificate-authority-data']);
  if (!ca) throw new Error(`${file}: the cluster has no certificate authority`);
  const user = config.users?.find((u) => u.name === context?.context.user)?.user ?? {};
  const cert = kubeconfigBytes(file, user['client-certificate'], user['client-certificate-data']);
  const key = kubeconfigBytes(file, user['client-key'], user['client-key-data']);
  return {
    endpoint: { server: cluster.cluster.server, certificateAuthorityPem: ca },
    ...(cert && key ? { clientCertificatePem: cert, clientKeyPem: key } : {}),
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`azure-doubles: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const runDir = resolve(required('SANDBOX_RUN_DIR'));
  const certPath = required('SANDBOX_TLS_CERT');
  const keyPath = required('SANDBOX_TLS_KEY');
  const caPath = process.env.SANDBOX_CA_CERT;
  const upstream = process.env.SANDBOX_REGISTRY_UPSTREAM;
  const kubeconfigPath = process.env.SANDBOX_KUBECONFIG;
  const adminKubeconfigPath = process.env.SANDBOX_ADMIN_KUBECONFIG;
  const adminPassword = process.env.SANDBOX_ACR_ADMIN_PASSWORD;
  const localAccountsPath = process.env.SANDBOX_AKS_LOCAL_ACCOUNTS;
  const tenantId = process.env.SANDBOX_TENANT_ID;
  const prometheusUpstream = process.env.SANDBOX_PROMETHEUS_UPSTREAM;
  const workspace = process.env.SANDBOX_MANAGED_PROMETHEUS_WORKSPACE;
  const port = Number(process.env.SANDBOX_AZURE_PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`azure-doubles: SANDBOX_AZURE_PORT must be a port number, got '${process.env.SANDBOX_AZURE_PORT ?? ''}'\n`);
    process.exit(2);
  }
  const caCert = caPath ? readFileSync(caPath, 'utf8') : undefined;
  const doubles = await startAzureDoubles({
    tls: { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') },
    host: process.env.SANDBOX_AZURE_HOST ?? '127.0.0.1',
    port,
    ...(tenantId ? { tenantId } : {}),
    log: process.env.SANDBOX_AZURE_LOG === 'true',
    ...(upstream
      ? {
          registry: {
            upstream,
            ...(caCert ? { upstreamCa: caCert } : {}),
            anonymousPull: process.env.SANDBOX_ACR_ANONYMOUS_PULL === 'true',
            ...(adminPassword ? { admin: { username: 'slipwaysandbox', password: adminPassword } } : {}),
          },
        }
      : {}),
    clusters: sandboxClusters(kubeconfigPath, adminKubeconfigPath, localAccountsPath),
    ...(prometheusUpstream ? { managedPrometheus: { upstream: prometheusUpstream, ...(workspace ? { workspace } : {}) } } : {}),
  });
  const d = doubles.description;
  const ci = d.apps.find((a) => a.name === 'ci');
  const unbound = d.apps.find((a) => a.name === 'aks-unbound');
  const principal = (app: typeof ci) =>
    app ? { name: app.name, clientId: app.clientId, clientSecret: app.secrets[0], objectId: app.objectId, groups: app.groups ?? [] } : undefined;
  await mkdir(runDir, { recursive: true });
  const pidFile = join(runDir, 'azure-doubles.pid');
  const jsonFile = join(runDir, 'azure-doubles.json');
  await writeFile(
    jsonFile,
    `${JSON.stringify(
      {
        pid: process.pid,
        ...d,
        caCertPath: caPath ? resolve(caPath) : undefined,
        // Entra ID sign-in to the sandbox clusters (test/sandbox/README.md, "Entra ID sign-in"); sandbox.sh
        // exports these as SANDBOX_AKS_* / SANDBOX_TENANT_ID.
        aksSandbox: {
          subscriptionId: SUBSCRIPTION_ID,
          resourceGroup: RESOURCE_GROUP,
          entraCluster: d.clusters.some((c) => c.name === ENTRA_CLUSTER) ? ENTRA_CLUSTER : undefined,
          localCluster: d.clusters.some((c) => c.name === LOCAL_CLUSTER) ? LOCAL_CLUSTER : undefined,
          legacyCluster: d.clusters.some((c) => c.name === LEGACY_CLUSTER) ? LEGACY_CLUSTER : undefined,
          tenantId: d.tenantId,
          issuer: d.aks.issuer,
          serverAppId: d.aks.serverAppId,
          clientAppId: d.aks.clientAppId,
          boundPrincipal: principal(ci),
          unboundPrincipal: principal(unbound),
          managedIdentity: { clientId: d.managedIdentity.clientId, objectId: d.managedIdentity.objectId, groups: d.managedIdentity.groups ?? [] },
        },
        // Environment a client process needs (ClientSecretCredential / DefaultAzureCredential / ManagedIdentityCredential).
        env: {
          NODE_EXTRA_CA_CERTS: caPath ? resolve(caPath) : undefined,
          AZURE_AUTHORITY_HOST: d.authorityHost,
          AZURE_TENANT_ID: d.tenantId,
          AZURE_CLIENT_ID: ci?.clientId,
          AZURE_CLIENT_SECRET: ci?.secrets[0],
          AZURE_POD_IDENTITY_AUTHORITY_HOST: d.imdsHost,
        },
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  await writeFile(pidFile, `${process.pid}\n`);
  process.stdout.write(`azure-doubles: listening on ${d.url} (description: ${jsonFile})\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`azure-doubles: ${signal}, stopping\n`);
    await doubles.close();
    await rm(pidFile, { force: true });
    await rm(jsonFile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * The ARM double's clusters, all backed by the one sandbox API server: `slipway-aks` (returns the admin
 * kubeconfig as is, as before issue #10), `slipway-aks-entra` (AKS-managed Entra ID, local accounts
 * disabled: kubelogin exec kubeconfigs) and `slipway-aks-local` (local accounts: static tokens).
 */
function sandboxClusters(kubeconfigPath: string | undefined, adminKubeconfigPath: string | undefined, localAccountsPath: string | undefined): ClusterOptions[] {
  if (!kubeconfigPath) return [];
  const base = {
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    location: 'westeurope',
    kubernetesVersion: process.env.SANDBOX_AKS_KUBERNETES_VERSION ?? '1.31.0',
  };
  const endpoint = () => readKubeconfig(kubeconfigPath).endpoint;
  const clusters: ClusterOptions[] = [
    {
      ...base,
      name: LEGACY_CLUSTER,
      userKubeconfig: () => readFileSync(kubeconfigPath, 'utf8'),
      ...(adminKubeconfigPath ? { adminKubeconfig: () => readFileSync(adminKubeconfigPath, 'utf8') } : {}),
    },
    { ...base, name: ENTRA_CLUSTER, aad: { enableAzureRBAC: false, adminGroupObjectIDs: [] }, disableLocalAccounts: true, endpoint },
  ];
  if (localAccountsPath) {
    clusters.push({
      ...base,
      name: LOCAL_CLUSTER,
      endpoint,
      localAccounts: (): LocalAccounts => {
        const tokens = JSON.parse(readFileSync(localAccountsPath, 'utf8')) as { userToken: string; adminToken: string };
        const admin = readKubeconfig(kubeconfigPath);
        return {
          userToken: tokens.userToken,
          adminToken: tokens.adminToken,
          ...(admin.clientCertificatePem && admin.clientKeyPem
            ? { adminClientCertificatePem: admin.clientCertificatePem, adminClientKeyPem: admin.clientKeyPem }
            : {}),
        };
      },
    });
  }
  return clusters;
}

main().catch((err: unknown) => {
  process.stderr.write(`azure-doubles: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

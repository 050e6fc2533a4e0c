/**
 * Runs the Azure doubles as a sandbox service:
 *
 *   npx tsx test/sandbox/azure-doubles/main.ts
 *
 * Environment:
 *   SANDBOX_TLS_CERT, SANDBOX_TLS_KEY   PEM paths of the server certificate (must cover 127.0.0.1)   required
 *   SANDBOX_CA_CERT                     PEM path of the CA (trusts the upstream registry; copied into the description)
 *   SANDBOX_REGISTRY_UPSTREAM           e.g. https://127.0.0.1:5443 (distribution, TLS, relativeurls)  optional
 *   SANDBOX_KUBECONFIG                  kubeconfig returned by listClusterUserCredential               optional
 *   SANDBOX_ADMIN_KUBECONFIG            kubeconfig returned by listClusterAdminCredential (default: SANDBOX_KUBECONFIG)
 *   SANDBOX_AZURE_PORT                  listen port (default 0 = any free port; read it from the description)
 *   SANDBOX_AZURE_HOST                  listen address (default 127.0.0.1)
 *   SANDBOX_RUN_DIR                     where azure-doubles.pid and azure-doubles.json are written    required
 *   SANDBOX_ACR_ANONYMOUS_PULL          "true" enables anonymous pull (default false)
 *   SANDBOX_ACR_ADMIN_PASSWORD          enables the admin user `slipwaysandbox` with this password
 *   SANDBOX_AKS_KUBERNETES_VERSION      reported kubernetesVersion (default 1.31.0)
 *   SANDBOX_AZURE_LOG                   "true" logs one line per request to stderr
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startAzureDoubles } from './server.ts';

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
    ...(kubeconfigPath
      ? {
          cluster: {
            subscriptionId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
            resourceGroup: 'slipway-sandbox',
            name: 'slipway-aks',
            location: 'westeurope',
            kubernetesVersion: process.env.SANDBOX_AKS_KUBERNETES_VERSION ?? '1.31.0',
            userKubeconfig: readFileSync(kubeconfigPath, 'utf8'),
            ...(adminKubeconfigPath ? { adminKubeconfig: readFileSync(adminKubeconfigPath, 'utf8') } : {}),
          },
        }
      : {}),
  });
  const d = doubles.description;
  const ci = d.apps.find((a) => a.name === 'ci');
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

main().catch((err: unknown) => {
  process.stderr.write(`azure-doubles: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

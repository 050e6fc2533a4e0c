/**
 * Runs the unmodified Azure SDKs against the doubles in a child process, so that the process starts
 * with `NODE_EXTRA_CA_CERTS` (read by Node only at start-up) and the managed-identity/workload-identity
 * environment variables @azure/identity reads. Tests spawn it with `runSdkProbe()`:
 *
 *   node --import tsx test/sandbox/azure-doubles/sdk-probe.ts '<scenario JSON>'
 *
 * It prints one line `SDK_PROBE_RESULT <json>` with `{ok: true, ...}` or `{ok: false, error}`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ContainerRegistryClient, ContainerRegistryContentClient, type OciImageManifest } from '@azure/container-registry';
import {
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';

export type CredentialSpec =
  | { kind: 'secret'; tenantId: string; clientId: string; secret: string; authorityHost: string; disableInstanceDiscovery?: boolean }
  | { kind: 'assertion'; tenantId: string; clientId: string; assertion: string; authorityHost: string }
  /** From AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST. */
  | { kind: 'workload' }
  /** Endpoint chosen by msal-node from AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS) or IDENTITY_ENDPOINT+IDENTITY_HEADER (App Service). */
  | { kind: 'managed'; clientId?: string };

export type ProbeScenario =
  | { op: 'token'; credential: CredentialSpec; scopes: string[] }
  | { op: 'acr-push'; credential: CredentialSpec; endpoint: string; repository: string; tag: string; layerBytes: number }
  | { op: 'acr-list'; credential: CredentialSpec; endpoint: string; repository: string; pageSize?: number }
  | { op: 'arm'; credential: CredentialSpec; endpoint: string; subscriptionId: string; resourceGroup: string; clusterName: string; admin?: boolean };

export interface ProbeError {
  name: string;
  message: string;
  statusCode?: number;
  code?: string;
}

export type ProbeResult = ({ ok: true } & Record<string, unknown>) | { ok: false; error: ProbeError };

const MARKER = 'SDK_PROBE_RESULT ';

function makeCredential(spec: CredentialSpec): TokenCredential {
  switch (spec.kind) {
    case 'secret':
      return new ClientSecretCredential(spec.tenantId, spec.clientId, spec.secret, {
        authorityHost: spec.authorityHost,
        disableInstanceDiscovery: spec.disableInstanceDiscovery ?? true,
      });
    case 'assertion':
      return new ClientAssertionCredential(spec.tenantId, spec.clientId, async () => spec.assertion, {
        authorityHost: spec.authorityHost,
        disableInstanceDiscovery: true,
      });
    case 'workload':
      return new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
    case 'managed':
      return spec.clientId ? new ManagedIdentityCredential({ clientId: spec.clientId }) : new ManagedIdentityCredential();
  }
}

function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function runScenario(s: ProbeScenario): Promise<Record<string, unknown>> {
  const credential = makeCredential(s.credential);
  switch (s.op) {
    case 'token': {
      const token = await credential.getToken(s.scopes);
      if (!token) throw new Error('getToken returned null');
      return { expiresOnTimestamp: token.expiresOnTimestamp, claims: decodeClaims(token.token) };
    }
    case 'acr-push': {
      const client = new ContainerRegistryContentClient(s.endpoint, s.repository, credential);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
      const layer = randomBytes(s.layerBytes);
      const configResult = await client.uploadBlob(config);
      const layerResult = await client.uploadBlob(layer);
      const manifest: OciImageManifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configResult.digest, size: configResult.sizeInBytes },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerResult.digest, size: layerResult.sizeInBytes }],
      };
      const set = await client.setManifest(manifest, { tag: s.tag });
      const got = await client.getManifest(s.tag);
      const download = await client.downloadBlob(layerResult.digest);
      let downloaded = 0;
      for await (const chunk of download.content) downloaded += (chunk as Buffer).length;
      return {
        configDigest: configResult.digest,
        layerDigest: layerResult.digest,
        layerSize: layerResult.sizeInBytes,
        manifestDigest: set.digest,
        gotDigest: got.digest,
        gotMediaType: got.mediaType,
        gotManifest: got.manifest,
        downloadedBytes: downloaded,
      };
    }
    case 'acr-list': {
      const client = new ContainerRegistryClient(s.endpoint, credential);
      const repositories: string[] = [];
      const pages: number[] = [];
      for await (const page of client.listRepositoryNames().byPage(s.pageSize ? { maxPageSize: s.pageSize } : {})) {
        pages.push(page.length);
        repositories.push(...page);
      }
      const repo = client.getRepository(s.repository);
      const properties = await repo.getProperties();
      const manifests: Array<Record<string, unknown>> = [];
      for await (const m of repo.listManifestProperties()) {
        manifests.push({ digest: m.digest, tags: m.tags, architecture: m.architecture, operatingSystem: m.operatingSystem, sizeInBytes: m.sizeInBytes });
      }
      const firstDigest = manifests[0]?.digest;
      const artifact = client.getArtifact(s.repository, typeof firstDigest === 'string' ? firstDigest : 'latest');
      const tags: Array<Record<string, unknown>> = [];
      for await (const t of artifact.listTagProperties()) tags.push({ name: t.name, digest: t.digest });
      const firstTag = tags[0]?.name;
      const tagProps = typeof firstTag === 'string' ? await artifact.getTagProperties(firstTag) : undefined;
      return {
        repositories,
        pages,
        repository: {
          name: properties.name,
          tagCount: properties.tagCount,
          manifestCount: properties.manifestCount,
          registryLoginServer: properties.registryLoginServer,
        },
        manifests,
        tags,
        tagProperties: tagProps ? { name: tagProps.name, digest: tagProps.digest, repositoryName: tagProps.repositoryName } : undefined,
      };
    }
    case 'arm': {
      const client = new ContainerServiceClient(credential, s.subscriptionId, { endpoint: s.endpoint });
      const cluster = await client.managedClusters.get(s.resourceGroup, s.clusterName);
      const creds = s.admin
        ? await client.managedClusters.listClusterAdminCredentials(s.resourceGroup, s.clusterName)
        : await client.managedClusters.listClusterUserCredentials(s.resourceGroup, s.clusterName, { format: 'exec' });
      return {
        cluster: {
          id: cluster.id,
          name: cluster.name,
          location: cluster.location,
          provisioningState: cluster.provisioningState,
          kubernetesVersion: cluster.kubernetesVersion,
          fqdn: cluster.fqdn,
        },
        kubeconfigs: (creds.kubeconfigs ?? []).map((k) => ({ name: k.name, value: k.value ? Buffer.from(k.value).toString('utf8') : undefined })),
      };
    }
  }
}

function toProbeError(err: unknown): ProbeError {
  if (err instanceof Error) {
    const e = err as Error & { statusCode?: unknown; code?: unknown; details?: { error?: { code?: unknown } } };
    const code = typeof e.code === 'string' ? e.code : typeof e.details?.error?.code === 'string' ? e.details.error.code : undefined;
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
      ...(code !== undefined ? { code } : {}),
    };
  }
  return { name: 'Unknown', message: String(err) };
}

/** Spawns the probe with `env` added to (a trimmed copy of) the current environment. */
export function runSdkProbe(scenario: ProbeScenario, env: Record<string, string>, timeoutMs = 90_000): Promise<ProbeResult> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Keep the child's Azure configuration exactly what the test passes.
    if (v !== undefined && !/^(AZURE_|IDENTITY_|IMDS_|MSI_|NODE_OPTIONS$|VITEST)/.test(k)) base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(scenario)], {
      env: {
        ...base,
        // Egress guard: anything not on loopback goes to a dead proxy instead of the internet.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost,::1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (!line) {
        reject(new Error(`sdk-probe exited ${code ?? 'by signal'} without a result; stderr: ${stderr.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(MARKER.length)) as ProbeResult);
    });
  });
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const scenario = JSON.parse(process.argv[2] ?? '{}') as ProbeScenario;
  runScenario(scenario)
    .then((r) => ({ ok: true as const, ...r }))
    .catch((err: unknown) => ({ ok: false as const, error: toProbeError(err) }))
    .then((result) => {
      process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
      process.exit(0);
    });
}

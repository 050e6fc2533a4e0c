import { readFileSync, writeFileSync } from 'node:fs';
import { SlipwayError } from '../errors/index.ts';
import type { AzureAuth, AzureAuthMethod } from './azure-auth.ts';
import { azureClouds, type AzureCloudName } from './azure-clouds.ts';
import { isFederatedTokenHandOff, type FederatedTokenHandOff } from './federated-token-hand-off.ts';

/** The Entra ID server application of every AKS cluster with Entra ID integration (the audience of its tokens). */
export const aksServerAppId = '6dae42f8-4368-4678-94ff-3960e28e3630';

/** A sign-in method once `auto` is resolved; `default` is DefaultAzureCredential's chain. */
export type ResolvedAuthMethod = Exclude<AzureAuthMethod, 'auto'> | 'default';

/**
 * Everything the kube-token plugin needs to get a token for the cluster, in a 0600 file beside the
 * kubeconfig that names it (`--config <file>` in the exec entry's args: a path, never a secret). It holds
 * the sign-in the step used, secrets included (a client secret, a federated-token hand-off), so that a
 * later step's kubectl signs in as the same identity without anything in argv or in the kubeconfig.
 */
export interface KubeTokenConfig {
  version: 1;
  /** The application the token is for: `--server-id` of the AKS kubeconfig (AKS: {@link aksServerAppId}). */
  serverId: string;
  auth: {
    method: ResolvedAuthMethod;
    tenantId: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    certificatePath: string | undefined;
    cloud: AzureCloudName;
    authorityHost: string;
  };
  /** How to mint OIDC assertions in the plugin's own process (GitHub, Azure Pipelines), when the sign-in is federated. */
  federation: FederatedTokenHandOff | undefined;
  /** The 0600 token cache (see kube-token-cache.ts). */
  cacheFile: string;
}

/** Stops the kube-token plugin with a message kubectl shows under "getting credentials". */
export class KubeTokenError extends SlipwayError {
  constructor(message: string, options: { hint?: string; cause?: unknown; exitCode?: 2 | 3 } = {}) {
    super('KUBE_TOKEN_FAILED', message, options.exitCode ?? 3, options);
  }
}

/** Writes a new config file, 0600 from its first byte; never over an existing file (`wx`). */
export function writeKubeTokenConfig(file: string, config: KubeTokenConfig): void {
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

/** Reads and checks a config file; the error says why the plugin cannot go on. */
export function readKubeTokenConfig(file: string): KubeTokenConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new KubeTokenError(gone ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`, {
      hint: gone
        ? "the aks-context step's post phase removes it when the job ends (the CLI: when slipway exits, unless --keep-kubeconfig); run aks-context again"
        : undefined,
      cause: error,
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new KubeTokenError(`${file} is not a kube-token configuration (not JSON)`, { cause: error, exitCode: 2 });
  }
  if (!isKubeTokenConfig(document)) throw new KubeTokenError(`${file} is not a kube-token configuration Slipway wrote`, { exitCode: 2 });
  return document;
}

const methods = new Set<string>(['oidc', 'client-secret', 'client-certificate', 'managed-identity', 'azure-cli', 'environment', 'default']);
const optionalString = (value: unknown) => value === undefined || typeof value === 'string';

function isKubeTokenConfig(value: unknown): value is KubeTokenConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const auth = v.auth as Record<string, unknown> | null | undefined;
  return (
    v.version === 1 &&
    typeof v.serverId === 'string' &&
    typeof v.cacheFile === 'string' &&
    (v.federation === undefined || isFederatedTokenHandOff(v.federation)) &&
    typeof auth === 'object' &&
    auth !== null &&
    methods.has(String(auth.method)) &&
    optionalString(auth.tenantId) &&
    optionalString(auth.clientId) &&
    optionalString(auth.clientSecret) &&
    optionalString(auth.certificatePath) &&
    typeof auth.cloud === 'string' &&
    Object.hasOwn(azureClouds, auth.cloud) &&
    typeof auth.authorityHost === 'string'
  );
}

/** The AzureAuth the shared credential factory takes, rebuilt from a config. */
export function azureAuthOf(config: KubeTokenConfig): AzureAuth {
  const cloud = azureClouds[config.auth.cloud];
  return {
    // createCredential takes every method but `default`, which is what it does for `auto` with nothing better.
    method: config.auth.method === 'default' ? 'auto' : config.auth.method,
    tenantId: config.auth.tenantId,
    clientId: config.auth.clientId,
    clientSecret: config.auth.clientSecret,
    certificatePath: config.auth.certificatePath,
    cloud,
    authorityHost: config.auth.authorityHost,
    resourceManager: cloud.resourceManager,
  };
}

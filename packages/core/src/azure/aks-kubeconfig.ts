import path from 'node:path';
import { execCredentialApiVersion } from './exec-credential.ts';
import { aksServerAppId } from './kube-token-config.ts';
import type { Kubeconfig } from '../k8s/kubeconfig.ts';

/** How the current user of an AKS kubeconfig signs in with Entra ID, as AKS wrote it. */
export interface AzureUserAuth {
  /** kubelogin's exec entry (format=exec, Kubernetes 1.24+), or the `azure` auth-provider of older kubeconfigs. */
  kind: 'kubelogin' | 'azure-auth-provider';
  /** The application the token must be for (`--server-id`; AKS-managed Entra ID: {@link aksServerAppId}). */
  serverId: string;
  /** The cluster's tenant (`--tenant-id`). */
  tenantId: string | undefined;
  /** kubelogin's environment name (AzurePublicCloud, AzureChinaCloud, AzureUSGovernmentCloud). */
  environment: string | undefined;
}

/**
 * The Entra ID sign-in of the current context's user, or undefined for a user that signs in some other
 * way (a local account's token or client certificate, an admin kubeconfig). Like `kubelogin
 * convert-kubeconfig`, only an exec entry running kubelogin and the `azure` auth-provider count.
 */
export function findAzureUserAuth(kubeconfig: Kubeconfig): AzureUserAuth | undefined {
  const user = kubeconfig.user;
  const exec = user.exec as { command?: unknown; args?: unknown } | undefined;
  if (exec && typeof exec.command === 'string' && /^kubelogin(\.exe)?$/i.test(path.basename(exec.command))) {
    const args = Array.isArray(exec.args) ? exec.args.filter((arg): arg is string => typeof arg === 'string') : [];
    return {
      kind: 'kubelogin',
      serverId: flag(args, 'server-id') ?? aksServerAppId,
      tenantId: flag(args, 'tenant-id'),
      environment: flag(args, 'environment'),
    };
  }
  const provider = user['auth-provider'] as { name?: unknown; config?: Record<string, unknown> } | undefined;
  if (provider?.name === 'azure') {
    const config = provider.config ?? {};
    const text = (key: string) => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);
    return { kind: 'azure-auth-provider', serverId: text('apiserver-id') ?? aksServerAppId, tenantId: text('tenant-id'), environment: text('environment') };
  }
  return undefined;
}

/** `--name value` or `--name=value` in kubelogin's args. */
function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === `--${name}`) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

/** How a host runs its kube-token plugin: `node <entry>` or `node <cli> kube-token`. */
export interface KubeTokenCommand {
  command: string;
  args: readonly string[];
}

/**
 * The user entry that runs Slipway's own credential plugin. Its args name the plugin's 0600 config file,
 * which holds the sign-in; nothing secret is in the kubeconfig. interactiveMode is required with the v1
 * protocol; Never, because the plugin never prompts.
 */
export function slipwayExecUser(plugin: KubeTokenCommand, configFile: string): Record<string, unknown> {
  return {
    exec: {
      apiVersion: execCredentialApiVersion,
      command: plugin.command,
      args: [...plugin.args, '--config', configFile],
      interactiveMode: 'Never',
      provideClusterInfo: false,
      installHint: 'This kubeconfig was written by the Slipway aks-context step; its credential plugin is removed with it when the job ends.',
    },
  };
}

/**
 * The non-interactive kubelogin login that signs in as the step did (kubelogin's `--login` modes). A
 * secret kubelogin needs goes in the exec entry's env, and so only into the 0600 kubeconfig file.
 */
export type KubeloginLogin =
  | { mode: 'spn'; clientId: string; tenantId: string; clientSecret: string }
  | { mode: 'spn-certificate'; clientId: string; tenantId: string; certificatePath: string }
  | { mode: 'msi'; clientId: string | undefined }
  | { mode: 'azurecli' }
  /** GitHub OIDC (kubelogin reads ACTIONS_ID_TOKEN_REQUEST_* from the step's environment) or AZURE_FEDERATED_TOKEN_FILE. */
  | { mode: 'workloadidentity'; clientId: string | undefined; tenantId: string | undefined }
  | { mode: 'azurepipelines'; clientId: string; tenantId: string; serviceConnectionId: string; accessToken: string; requestUri: string };

/** kubelogin's exec entry for `login`, keeping the server id and environment AKS gave. */
export function kubeloginExecUser(kubelogin: string, auth: AzureUserAuth, login: KubeloginLogin): Record<string, unknown> {
  const args = ['get-token', '--server-id', auth.serverId, '--environment', auth.environment ?? 'AzurePublicCloud'];
  const env: Array<{ name: string; value: string }> = [];
  const ids = (clientId: string | undefined, tenantId: string | undefined) => {
    if (clientId) args.push('--client-id', clientId);
    if (tenantId) args.push('--tenant-id', tenantId);
  };
  switch (login.mode) {
    case 'spn':
      args.push('--login', 'spn');
      ids(login.clientId, login.tenantId);
      // Empty for auth environment: kubelogin then reads AZURE_CLIENT_SECRET from the later step's environment.
      if (login.clientSecret) env.push({ name: 'AAD_SERVICE_PRINCIPAL_CLIENT_SECRET', value: login.clientSecret });
      break;
    case 'spn-certificate':
      args.push('--login', 'spn', '--client-certificate', login.certificatePath);
      ids(login.clientId, login.tenantId);
      break;
    case 'msi':
      args.push('--login', 'msi');
      ids(login.clientId, undefined);
      break;
    case 'azurecli':
      args.push('--login', 'azurecli');
      if (auth.tenantId) args.push('--tenant-id', auth.tenantId);
      break;
    case 'workloadidentity':
      args.push('--login', 'workloadidentity');
      ids(login.clientId, login.tenantId);
      break;
    case 'azurepipelines':
      args.push('--login', 'azurepipelines', '--azure-pipelines-service-connection-id', login.serviceConnectionId);
      ids(login.clientId, login.tenantId);
      // kubelogin reads both from its environment; a later script step has neither unless it maps System.AccessToken.
      env.push({ name: 'SYSTEM_ACCESSTOKEN', value: login.accessToken }, { name: 'SYSTEM_OIDCREQUESTURI', value: login.requestUri });
      break;
  }
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: kubelogin,
      args,
      ...(env.length > 0 ? { env } : {}),
      interactiveMode: 'Never',
      provideClusterInfo: false,
    },
  };
}

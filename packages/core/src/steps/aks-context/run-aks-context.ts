import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatAksResourceId } from '../../azure/aks-cluster-ref.ts';
import { fetchAksKubeconfig } from '../../azure/aks-credentials.ts';
import { findAzureUserAuth, kubeloginExecUser, slipwayExecUser, type AzureUserAuth, type KubeloginLogin } from '../../azure/aks-kubeconfig.ts';
import { chooseMethod } from '../../azure/create-credential.ts';
import { createStepCredential } from '../../azure/step-credential.ts';
import { writeKubeTokenConfig, type KubeTokenConfig, type ResolvedAuthMethod } from '../../azure/kube-token-config.ts';
import { InternalError, ToolNotFoundError } from '../../errors/index.ts';
import { KubeApi, type KubeIdentity, type KubeServerVersion } from '../../k8s/kube-api.ts';
import { Kubeconfig } from '../../k8s/kubeconfig.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { AksContextInputs } from './aks-context-inputs.ts';
import { aksContextStateKey } from './remove-aks-context.ts';

/** How the kubeconfig's user signs in, for the log and the summary. */
export type KubeconfigCredential = 'slipway-plugin' | 'kubelogin' | 'kubelogin-unchanged' | 'static-token' | 'client-certificate' | 'other';

export interface AksContextResult {
  cluster: string;
  kubeconfig: string;
  server: string;
  kubernetesVersion: string;
  context: string;
  namespace: string | undefined;
  /** Undefined when the API server does not serve SelfSubjectReview. */
  user: { username: string; groups: string[] } | undefined;
  credential: KubeconfigCredential;
  /** The files are removed by the post phase (false only with the CLI's keep-kubeconfig). */
  removedWhenJobEnds: boolean;
}

const fileNames = { kubeconfig: 'kubeconfig', pluginConfig: 'kube-token.json', tokenCache: 'token-cache.json' } as const;

/**
 * aks-context's work: sign in, fetch the cluster's kubeconfig from ARM, point its Entra ID user at
 * Slipway's credential plugin (or kubelogin), select the namespace, write it 0600 into a private directory
 * of the job's temp dir, and check through the Kubernetes API that it works. The directory is saved as
 * state before anything is written, so the post phase removes it however this ends. Loaded only when the
 * step runs: it pulls in @azure/identity, @azure/arm-containerservice and @kubernetes/client-node.
 */
export async function runAksContext(inputs: AksContextInputs, deps: StepDeps): Promise<AksContextResult> {
  if (inputs.kubeAuth === 'kubelogin' && !inputs.kubelogin?.path) {
    throw new ToolNotFoundError('kubelogin', {
      hint: 'install kubelogin (Azure/use-kubelogin, KubeloginInstaller@0), or use kube-auth slipway, which needs nothing installed',
    });
  }
  const cluster = formatAksResourceId(inputs.cluster);
  const { credential, description, context, lastAssertion } = createStepCredential(inputs.auth, deps);
  const method: ResolvedAuthMethod = inputs.auth.method === 'auto' ? chooseMethod(inputs.auth, context) : inputs.auth.method;
  deps.log.info(`signing in to Azure as ${description}`);

  const text = await deps.log.group(`Fetch the ${inputs.admin ? 'admin ' : ''}kubeconfig of ${cluster}`, () =>
    fetchAksKubeconfig({
      credential,
      cluster: inputs.cluster,
      admin: inputs.admin,
      publicFqdn: inputs.publicFqdn,
      endpoint: inputs.armEndpoint,
      audience: inputs.auth.cloud.resourceManager,
      signal: deps.signal,
      lastAssertion,
    }),
  );
  const kubeconfig = Kubeconfig.parse(text, 'the kubeconfig ARM returned');
  maskKubeconfigSecrets(kubeconfig, deps);

  mkdirSync(deps.tempDir, { recursive: true });
  // 0700 from mkdtemp: only this user can list or open what is inside.
  const dir = mkdtempSync(path.join(deps.tempDir, 'slipway-aks-'));
  if (!inputs.keepKubeconfig) deps.state.save(aksContextStateKey, dir);
  const files = {
    kubeconfig: path.join(dir, fileNames.kubeconfig),
    pluginConfig: path.join(dir, fileNames.pluginConfig),
    tokenCache: path.join(dir, fileNames.tokenCache),
  };
  const azureUser = findAzureUserAuth(kubeconfig);
  try {
    const credentialKind = configureUser(kubeconfig, azureUser, { inputs, deps, method, files });
    if (inputs.namespace) kubeconfig.setNamespace(inputs.namespace);
    writeFileSync(files.kubeconfig, kubeconfig.toYaml(), { mode: 0o600, flag: 'wx' });
    deps.log.info(`wrote ${files.kubeconfig} (${describeCredential(credentialKind)})`);

    const current = kubeconfig.currentContext;
    const namespace = inputs.namespace ?? current.namespace;
    const presentedToken = () => (credentialKind === 'slipway-plugin' ? cachedToken(files.tokenCache) : staticToken(kubeconfig));
    // kube-auth none keeps kubelogin's device-code login, which waits for a person: nothing to check unattended.
    let check: ApiServerCheck | undefined;
    if (credentialKind === 'kubelogin-unchanged') deps.log.info("kube-auth none: not checked (the kubeconfig's kubelogin entry signs in interactively)");
    else {
      check = await deps.log.group(`Check the API server ${kubeconfig.server}`, () =>
        checkApiServer({ kubeconfigFile: files.kubeconfig, inputs, deps, azureUser, presentedToken }),
      );
    }
    return {
      cluster,
      kubeconfig: files.kubeconfig,
      server: kubeconfig.server,
      kubernetesVersion: check?.version.gitVersion ?? '',
      context: current.name,
      namespace,
      user: check?.user ? { username: check.user.username, groups: check.user.groups } : undefined,
      credential: credentialKind,
      removedWhenJobEnds: !inputs.keepKubeconfig,
    };
  } catch (error) {
    // Kept kubeconfigs have no post phase to clean them, and one that does not work is of no use.
    if (inputs.keepKubeconfig) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface ApiServerCheck {
  version: KubeServerVersion;
  user: KubeIdentity | undefined;
}

/**
 * The reachability check, through the kubeconfig as later steps will use it (its credential plugin
 * included): /version, who the server takes us for, and, with a namespace, whether pods may be listed there.
 */
async function checkApiServer(options: {
  kubeconfigFile: string;
  inputs: AksContextInputs;
  deps: StepDeps;
  azureUser: AzureUserAuth | undefined;
  presentedToken: () => string | undefined;
}): Promise<ApiServerCheck> {
  const { inputs, deps, azureUser, presentedToken } = options;
  const api = await KubeApi.open({
    kubeconfigFile: options.kubeconfigFile,
    timeoutMs: inputs.timeoutMs,
    signal: deps.signal,
    explain: { presentedToken, expected: { audience: azureUser?.serverId, tenantId: azureUser?.tenantId } },
  });
  try {
    const version = await api.serverVersion();
    deps.log.info(`Kubernetes ${version.gitVersion} (${version.platform})`);
    const user = await api.whoAmI();
    deps.log.info(
      user
        ? `authenticated as ${user.username}${user.groups.length ? ` (groups: ${user.groups.join(', ')})` : ''}`
        : 'the API server does not serve SelfSubjectReview: user unknown',
    );
    if (inputs.namespace) {
      await api.listPods(inputs.namespace);
      deps.log.info(`may list pods in namespace ${inputs.namespace}`);
    }
    return { version, user };
  } finally {
    // The token the plugin got for the check: masked, should any library ever print it.
    const token = presentedToken();
    if (token) deps.setSecret(token);
  }
}

interface ConfigureEnv {
  inputs: AksContextInputs;
  deps: StepDeps;
  method: ResolvedAuthMethod;
  files: { pluginConfig: string; tokenCache: string };
}

/** Rewrites the Entra ID user for kube-auth, writing the plugin's 0600 config when Slipway's plugin is used. */
function configureUser(kubeconfig: Kubeconfig, azureUser: AzureUserAuth | undefined, env: ConfigureEnv): KubeconfigCredential {
  const { inputs, deps } = env;
  if (!azureUser) return credentialOf(kubeconfig);
  if (inputs.kubeAuth === 'none') return 'kubelogin-unchanged';
  if (inputs.kubeAuth === 'kubelogin') {
    kubeconfig.setUser(kubeloginExecUser(inputs.kubelogin?.path ?? 'kubelogin', azureUser, kubeloginLoginFor(env)));
    return 'kubelogin';
  }
  const plugin = deps.kubeTokenCommand;
  if (!plugin) throw new InternalError('this host cannot run the kube-token plugin (no kubeTokenCommand)', { hint: 'use kube-auth kubelogin or none here' });
  const auth = inputs.auth;
  const federated = env.method === 'oidc';
  const handOff = federated ? deps.federatedTokenHandOff : undefined;
  if (federated && !handOff) {
    throw new InternalError('the host signs in with OIDC but cannot hand the token source to another process', { hint: 'use kube-auth kubelogin here' });
  }
  for (const secret of handOff?.kind === 'github-actions' ? [handOff.requestToken] : handOff ? [handOff.accessToken] : []) deps.setSecret(secret);
  const config: KubeTokenConfig = {
    version: 1,
    serverId: azureUser.serverId,
    auth: {
      method: env.method,
      // The cluster's tenant when the sign-in names none (managed identity, Azure CLI): tokens must come from it.
      tenantId: auth.tenantId ?? azureUser.tenantId,
      clientId: auth.clientId,
      clientSecret: env.method === 'client-secret' ? auth.clientSecret : undefined,
      certificatePath: env.method === 'client-certificate' ? auth.certificatePath : undefined,
      cloud: auth.cloud.name,
      authorityHost: auth.authorityHost,
    },
    federation: handOff,
    cacheFile: env.files.tokenCache,
  };
  writeKubeTokenConfig(env.files.pluginConfig, config);
  kubeconfig.setUser(slipwayExecUser(plugin, env.files.pluginConfig));
  return 'slipway-plugin';
}

/** The kubelogin login that repeats the step's sign-in without a prompt. */
function kubeloginLoginFor(env: ConfigureEnv): KubeloginLogin {
  const { auth } = env.inputs;
  const ids = { clientId: auth.clientId ?? '', tenantId: auth.tenantId ?? '' };
  switch (env.method) {
    case 'client-secret':
      return { mode: 'spn', ...ids, clientSecret: auth.clientSecret ?? '' };
    case 'client-certificate':
      return { mode: 'spn-certificate', ...ids, certificatePath: auth.certificatePath ?? '' };
    case 'managed-identity':
      return { mode: 'msi', clientId: auth.clientId };
    case 'azure-cli':
      return { mode: 'azurecli' };
    case 'environment':
      return env.inputs.kubelogin?.environmentLogin === 'workloadidentity'
        ? { mode: 'workloadidentity', clientId: undefined, tenantId: undefined }
        : { mode: 'spn', clientId: '', tenantId: '', clientSecret: '' };
    case 'oidc': {
      const handOff = env.deps.federatedTokenHandOff;
      if (handOff?.kind === 'azure-pipelines') {
        return {
          mode: 'azurepipelines',
          ...ids,
          serviceConnectionId: handOff.serviceConnectionId,
          accessToken: handOff.accessToken,
          requestUri: handOff.requestUri,
        };
      }
      // kubelogin's workload identity login asks GitHub's ID token endpoint itself (ACTIONS_ID_TOKEN_REQUEST_* in every later step).
      return { mode: 'workloadidentity', ...ids };
    }
    default:
      throw new InternalError('kube-auth kubelogin with the default credential chain passed validation');
  }
}

function credentialOf(kubeconfig: Kubeconfig): KubeconfigCredential {
  const user = kubeconfig.user;
  if (typeof user.token === 'string') return 'static-token';
  if (user['client-certificate-data'] || user['client-certificate']) return 'client-certificate';
  return 'other';
}

function describeCredential(kind: KubeconfigCredential): string {
  switch (kind) {
    case 'slipway-plugin':
      return "Entra ID tokens from Slipway's kube-token plugin";
    case 'kubelogin':
      return 'Entra ID tokens from kubelogin';
    case 'kubelogin-unchanged':
      return "kubelogin's exec entry as ARM returned it";
    case 'static-token':
      return 'a local account token';
    case 'client-certificate':
      return 'a client certificate';
    default:
      return 'the credentials ARM returned';
  }
}

/** A local account's token and client key are secrets too: masked before anything could print them. */
function maskKubeconfigSecrets(kubeconfig: Kubeconfig, deps: StepDeps): void {
  const user = kubeconfig.user;
  for (const key of ['token', 'client-key-data', 'password']) {
    const value = user[key];
    if (typeof value === 'string' && value) deps.setSecret(value);
  }
}

function cachedToken(file: string): string | undefined {
  try {
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { token?: unknown }).token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

function staticToken(kubeconfig: Kubeconfig): string | undefined {
  const token = kubeconfig.user.token;
  return typeof token === 'string' ? token : undefined;
}

/** The step's report: outputs, KUBECONFIG for later steps, the job summary. */
export async function runAksContextStep(inputs: AksContextInputs, deps: StepDeps): Promise<StepReport> {
  const result = await runAksContext(inputs, deps);
  const groups = result.user?.groups ?? [];
  const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
  const lifetime = result.removedWhenJobEnds ? 'removed when the job ends' : 'kept: remove it when done';
  return {
    outcome: 'succeeded',
    outputs: {
      kubeconfig: result.kubeconfig,
      server: result.server,
      'kubernetes-version': result.kubernetesVersion,
      context: result.context,
      user: result.user?.username ?? '',
      groups: JSON.stringify(groups),
    },
    exportVariables: { KUBECONFIG: result.kubeconfig },
    summary: [
      '### Slipway aks-context',
      '',
      '| | |',
      '|---|---|',
      `| cluster | ${code(result.cluster)} |`,
      `| API server | ${code(result.server)} |`,
      `| Kubernetes | ${result.kubernetesVersion ? code(result.kubernetesVersion) : 'not checked'} |`,
      `| context | ${code(result.context)}${result.namespace ? `, namespace ${code(result.namespace)}` : ''} |`,
      `| user | ${result.user ? code(result.user.username) : 'unknown'}${groups.length ? ` (groups ${groups.map(code).join(', ')})` : ''} |`,
      `| credentials | ${describeCredential(result.credential)} |`,
      `| kubeconfig | ${code(result.kubeconfig)} (0600, ${lifetime}) |`,
      '',
    ].join('\n'),
    result,
  };
}

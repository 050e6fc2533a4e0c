import { describeError, SlipwayError } from '../errors/index.ts';
import { formatExecCredential, requestedApiVersion } from './exec-credential.ts';
import { readCachedToken, renewAt, writeCachedToken, type CachedKubeToken } from './kube-token-cache.ts';
import { azureAuthOf, KubeTokenError, readKubeTokenConfig, type KubeTokenConfig } from './kube-token-config.ts';

export interface KubeTokenPluginIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Gets the ExecCredential, and nothing else: kubectl parses all of stdout. */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now: () => number;
  /** Gets a new token when the cache has none; the default signs in with the shared credential factory. */
  fetchToken?: (config: KubeTokenConfig) => Promise<{ token: string; expiresOn: number }>;
}

const usage = 'usage: kube-token --config <file>   (a client-go exec credential plugin; Slipway writes the kubeconfig entries that run it)';

/**
 * `slipway kube-token --config <file>`: the exec credential plugin of the kubeconfigs aks-context writes
 * for Entra ID clusters, so that kubectl, Helm and client libraries get AKS tokens without kubelogin.
 * Prints a client.authentication.k8s.io ExecCredential with the token and its renewal time; a token from
 * the 0600 cache is reused until near its expiry, and a new one is got with the sign-in the config records
 * (with GitHub or Azure Pipelines federation, a fresh assertion each time, so it works for the whole job).
 * Returns the exit code: 0, 2 (bad arguments or config), 3 (no token). Messages go to stderr, which
 * kubectl shows; the token goes nowhere but stdout.
 */
export async function runKubeTokenPlugin(argv: readonly string[], io: KubeTokenPluginIo = processIo()): Promise<number> {
  try {
    const file = configArgument(argv);
    if (file === 'help') {
      io.stdout(`${usage}\n`);
      return 0;
    }
    const config = readKubeTokenConfig(file);
    const now = io.now();
    let entry: CachedKubeToken | undefined = readCachedToken(config.cacheFile, { serverId: config.serverId, now });
    if (!entry) {
      const fetched = await (io.fetchToken ?? fetchTokenWithCredential)(config);
      entry = { token: fetched.token, expiresOn: fetched.expiresOn, obtainedAt: now, serverId: config.serverId };
      // A cache that cannot be written costs a sign-in per kubectl call, nothing more.
      try {
        writeCachedToken(config.cacheFile, entry);
      } catch (error) {
        io.stderr(`slipway kube-token: warning: could not cache the token in ${config.cacheFile}: ${(error as Error).message}\n`);
      }
    }
    io.stdout(
      `${formatExecCredential({ token: entry.token, expiresAt: new Date(renewAt(entry)), apiVersion: requestedApiVersion(io.env.KUBERNETES_EXEC_INFO) })}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr(`slipway kube-token: ${describeError(error)}\n`);
    return error instanceof SlipwayError ? error.exitCode : 3;
  }
}

function configArgument(argv: readonly string[]): string {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) return 'help';
  const inline = argv.length === 1 ? /^--config=(.+)$/.exec(argv[0] ?? '')?.[1] : undefined;
  if (inline) return inline;
  if (argv.length === 2 && argv[0] === '--config' && argv[1]) return argv[1];
  throw new KubeTokenError(`unexpected arguments ${JSON.stringify(argv)}`, { hint: usage, exitCode: 2 });
}

/**
 * A token from Entra ID for `<serverId>/.default`, through the shared credential factory. Loaded only on
 * a cache miss: a kubectl call that finds a cached token never loads @azure/identity.
 */
async function fetchTokenWithCredential(config: KubeTokenConfig): Promise<{ token: string; expiresOn: number }> {
  const [{ createCredential }, { explainAuthError, describeAssertion }, { federatedTokenSourceFromHandOff }] = await Promise.all([
    import('./create-credential.ts'),
    import('./explain-auth-error.ts'),
    import('./federated-token-hand-off.ts'),
  ]);
  let lastAssertion: ReturnType<typeof describeAssertion> | undefined;
  const handOff = config.federation;
  const federatedToken = handOff
    ? async (audience: string) => {
        const assertion = await federatedTokenSourceFromHandOff(handOff)(audience);
        lastAssertion = describeAssertion(assertion);
        return assertion;
      }
    : undefined;
  const { credential, description } = createCredential(azureAuthOf(config), federatedToken ? { federatedToken } : {});
  try {
    const token = await credential.getToken(`${config.serverId}/.default`);
    if (!token) throw new KubeTokenError(`signing in as ${description} gave no token`);
    return { token: token.token, expiresOn: token.expiresOnTimestamp };
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    throw explainAuthError(error, {
      action: `getting a token for the cluster (server application ${config.serverId}) as ${description}`,
      assertion: lastAssertion,
    });
  }
}

function processIo(): KubeTokenPluginIo {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    now: () => Date.now(),
  };
}

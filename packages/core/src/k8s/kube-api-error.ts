import { isIP } from 'node:net';
import { describeAssertion } from '../azure/explain-auth-error.ts';
import { SlipwayError } from '../errors/index.ts';

/** Why a Kubernetes API request failed, in the terms a user can act on. */
export type KubeFailure = 'dns' | 'private-cluster' | 'unreachable' | 'timeout' | 'tls' | 'unauthorized' | 'forbidden' | 'credential-plugin' | 'api';

const codeOf: Record<KubeFailure, string> = {
  dns: 'KUBE_API_UNREACHABLE',
  'private-cluster': 'KUBE_API_UNREACHABLE',
  unreachable: 'KUBE_API_UNREACHABLE',
  timeout: 'KUBE_API_UNREACHABLE',
  tls: 'KUBE_API_TLS',
  unauthorized: 'KUBE_API_UNAUTHORIZED',
  forbidden: 'KUBE_API_FORBIDDEN',
  'credential-plugin': 'KUBE_TOKEN_FAILED',
  api: 'KUBE_API_FAILED',
};

/** A Kubernetes API request failed; `failure` says how, the message and hint say what to do (exit 3). */
export class KubeApiError extends SlipwayError {
  readonly failure: KubeFailure;
  /** The HTTP status, when the API server answered. */
  readonly status: number | undefined;

  constructor(failure: KubeFailure, message: string, options: { hint: string; status?: number | undefined; cause?: unknown }) {
    super(codeOf[failure], message, 3, options);
    this.failure = failure;
    this.status = options.status;
  }
}

/** What the explanation may use besides the error: who was asked, with which credential, expecting what. */
export interface KubeRequestContext {
  /** The API server URL. */
  server: string;
  /** `GET /version`, for the message. */
  request: string;
  /** The addresses the server's host name resolved to (a private address explains a timeout). */
  addresses?: readonly string[];
  timeoutMs?: number;
  /** The bearer token that was presented, when it can be known (the plugin's cache, a static token): decoded, never printed. */
  presentedToken?: () => string | undefined;
  /** The audience and tenant an AKS cluster with Entra ID accepts (its server application and its tenant). */
  expected?: { audience?: string | undefined; tenantId?: string | undefined };
  /** The kubeconfig's user runs a credential plugin (its failures are the plugin's, not the server's). */
  execCommand?: string;
}

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

const privateClusterHint =
  'a private AKS cluster is reachable only from its virtual network: run this job on a self-hosted runner or agent in (or peered with) that network, or use public-fqdn when the cluster has a public FQDN; see "Private clusters" in the README';

/**
 * Turns what @kubernetes/client-node throws (ApiException with the server's Status, node-fetch's
 * FetchError with a system or TLS error code, AbortError, a credential plugin's failure) into a
 * KubeApiError that says in words what went wrong: a name that does not resolve, a private cluster,
 * an untrusted certificate, a token for the wrong audience or tenant, a missing RoleBinding.
 */
export function explainKubeError(error: unknown, context: KubeRequestContext): KubeApiError {
  if (error instanceof KubeApiError) return error;
  const host = hostOf(context.server);
  const status = statusOf(error);
  if (status !== undefined) return explainStatus(status, error, context);
  const code = systemCode(error);
  const name = error instanceof Error ? error.name : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') {
    if (isPrivateClusterName(host)) {
      return new KubeApiError('private-cluster', `the API server ${host} is a private cluster's name, which does not resolve from this runner (${code})`, {
        hint: privateClusterHint,
        cause: error,
      });
    }
    const temporary = code === 'EAI_AGAIN' ? ' (the DNS server did not answer)' : '';
    return new KubeApiError('dns', `the API server name ${host} does not resolve from this runner${temporary}`, {
      hint: 'check the runner\'s DNS and network; for a private cluster see "Private clusters" in the README',
      cause: error,
    });
  }
  if (code && tlsCodes.has(code)) return explainTls(code, error, host);
  const timedOut = name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT';
  const unreachable = code === 'EHOSTUNREACH' || code === 'ENETUNREACH';
  if (timedOut || unreachable) {
    const privateAddress = context.addresses?.find(isPrivateAddress);
    if (privateAddress || isPrivateClusterName(host)) {
      const where = privateAddress ? ` resolves to the private address ${privateAddress} and` : '';
      return new KubeApiError('private-cluster', `the API server ${host}${where} cannot be reached from this runner: a private cluster`, {
        hint: privateClusterHint,
        cause: error,
      });
    }
    const after = timedOut && context.timeoutMs ? ` within ${Math.round(context.timeoutMs / 1000)} s` : '';
    return new KubeApiError(timedOut ? 'timeout' : 'unreachable', `${context.request} to ${host} got no answer${after} (${code ?? name})`, {
      hint: "check the runner's network and proxy settings, and the cluster's authorized IP ranges (az aks show --query apiServerAccessProfile)",
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
    return new KubeApiError(
      'unreachable',
      `${context.request} to ${host}: ${code === 'ECONNREFUSED' ? 'the connection was refused' : 'the connection was reset'}`,
      {
        hint: 'check that the cluster is running (a stopped AKS cluster refuses connections) and that nothing between the runner and it blocks the port',
        cause: error,
      },
    );
  }
  if (context.execCommand) return explainPluginFailure(error, context.execCommand);
  return new KubeApiError('api', `${context.request} to ${host} failed: ${firstLine(error)}`, {
    hint: 'retry; if it persists, check the cluster and the network between the runner and it',
    cause: error,
  });
}

function explainStatus(status: number, error: unknown, context: KubeRequestContext): KubeApiError {
  const message = statusMessage(error);
  if (status === 401) {
    const { problem, hint } = diagnoseToken(context);
    return new KubeApiError('unauthorized', `the API server rejected the credentials (401 Unauthorized) for ${context.request}: ${problem}`, {
      hint,
      status,
      cause: error,
    });
  }
  if (status === 403) {
    const denied = parseForbidden(message);
    if (denied) {
      const what = `${denied.verb} ${denied.resource}${denied.group ? ` (API group ${denied.group})` : ''}`;
      const where = denied.namespace ? `in namespace '${denied.namespace}'` : 'at cluster scope';
      const binding = denied.namespace
        ? `kubectl create rolebinding slipway-deployer --namespace ${denied.namespace} --clusterrole edit --user ${denied.user}`
        : `kubectl create clusterrolebinding slipway-deployer --clusterrole view --user ${denied.user}`;
      return new KubeApiError(
        'forbidden',
        `the identity '${denied.user}' may not ${what} ${where} (403 Forbidden): no Role or ClusterRole bound to it allows that`,
        {
          hint: `bind it to a role that allows it, e.g. \`${binding}\` (or, with Azure RBAC for Kubernetes, assign it an Azure Kubernetes Service RBAC role on the cluster or namespace)`,
          status,
          cause: error,
        },
      );
    }
    return new KubeApiError('forbidden', `${context.request} is forbidden (403): ${message || 'no reason given'}`, {
      hint: 'grant the identity a Role or ClusterRole that allows it, through a RoleBinding (or an Azure Kubernetes Service RBAC role)',
      status,
      cause: error,
    });
  }
  return new KubeApiError('api', `${context.request} failed with ${status}${message ? `: ${message}` : ''}`, {
    hint: status >= 500 ? 'the API server had a problem: retry' : 'check the cluster version and the request',
    status,
    cause: error,
  });
}

/** Which claim of the presented token is wrong, read from the token itself (no signature check: only the server can). */
function diagnoseToken(context: KubeRequestContext): { problem: string; hint: string } {
  const token = context.presentedToken?.();
  const generic = {
    problem: 'the token was not accepted',
    hint: 'fetch the kubeconfig again (a local account token may have been rotated), and check that the cluster trusts the tenant you sign in to',
  };
  if (!token) return generic;
  if (token.split('.').length !== 3) {
    return {
      problem: "the kubeconfig's static token (a local account) was not accepted",
      hint: 'the cluster credentials may have been rotated or local accounts disabled: run aks-context again, or use an Entra ID identity',
    };
  }
  const claims = describeAssertion(token);
  const expected = context.expected ?? {};
  if (expected.audience && claims.audience && !audienceMatches(claims.audience, expected.audience)) {
    return {
      problem: `the token is for audience '${claims.audience}', but the cluster accepts tokens for its Entra ID server application '${expected.audience}'`,
      hint: `get the token for ${expected.audience} (the --server-id of the AKS kubeconfig): let aks-context write the kubeconfig (kube-auth slipway) instead of editing it`,
    };
  }
  const tenant = claims.issuer ? tenantOfIssuer(claims.issuer) : undefined;
  if (expected.tenantId && tenant && tenant.toLowerCase() !== expected.tenantId.toLowerCase()) {
    return {
      problem: `the token was issued by tenant ${tenant} ('${claims.issuer}'), but the cluster trusts tenant ${expected.tenantId}`,
      hint: "sign in to the cluster's tenant: set tenant-id to the tenant of the cluster's Entra ID integration",
    };
  }
  const exp = expiryOf(token);
  if (exp !== undefined && exp * 1000 <= Date.now()) {
    return {
      problem: `the token expired at ${new Date(exp * 1000).toISOString()}`,
      hint: "check the runner's clock; the plugin renews tokens before they expire",
    };
  }
  return {
    problem: `a token for audience '${claims.audience ?? '?'}' from issuer '${claims.issuer ?? '?'}' was refused`,
    hint: "check that the cluster's Entra ID integration trusts that issuer (a cluster without Entra ID accepts only its local accounts: use admin)",
  };
}

/** Entra's v1 tokens carry the bare application id; `spn:` and `api://` forms name the same application. */
function audienceMatches(audience: string, expected: string): boolean {
  const bare = (value: string) =>
    value
      .replace(/^(spn:|api:\/\/)/, '')
      .replace(/\/$/, '')
      .toLowerCase();
  return audience.split(',').some((one) => bare(one) === bare(expected));
}

/** `https://sts.windows.net/<tenant>/` (v1) or `https://login.microsoftonline.com/<tenant>/v2.0` (v2), or any host with the tenant first. */
function tenantOfIssuer(issuer: string): string | undefined {
  try {
    return new URL(issuer).pathname.split('/').find((segment) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment));
  } catch {
    return undefined;
  }
}

function expiryOf(jwt: string): number | undefined {
  try {
    const exp = (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** The apiserver's RBAC denial (k8s.io/apiserver authorization/authorizer forbidden message). */
export function parseForbidden(message: string): { user: string; verb: string; resource: string; group: string; namespace: string | undefined } | undefined {
  const match = /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/.exec(message);
  if (!match) return undefined;
  const [, user = '', verb = '', resource = '', group = '', namespace] = match;
  return { user, verb, resource, group, namespace };
}

function explainTls(code: string, error: unknown, host: string): KubeApiError {
  const hint =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `the API server's certificate does not name ${host}: use the server URL ARM gave (public-fqdn for the public name of a private cluster), not another name`
      : code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID'
        ? "the API server's certificate is outside its validity period: check the runner's clock, or rotate the cluster certificates"
        : "the kubeconfig's certificate-authority-data does not sign the API server's certificate: fetch the kubeconfig again (certificates may have been rotated), and check that no TLS-intercepting proxy sits in between";
  return new KubeApiError('tls', `TLS with the API server ${host} failed: ${code}`, { hint, cause: error });
}

function explainPluginFailure(error: unknown, command: string): KubeApiError {
  const code = systemCode(error);
  if (code === 'ENOENT' || code === 'EACCES') {
    return new KubeApiError('credential-plugin', `the kubeconfig's credential plugin '${command}' could not be started (${code})`, {
      hint: /kubelogin/i.test(command)
        ? 'install kubelogin on the runner (or use kube-auth slipway, which needs nothing installed)'
        : 'run aks-context again in this job',
      cause: error,
    });
  }
  return new KubeApiError('credential-plugin', `the kubeconfig's credential plugin failed: ${pluginMessage(error)}`, {
    hint: 'the plugin signs in to Entra ID for the cluster: its message above says why it could not',
    cause: error,
  });
}

/**
 * The line of a plugin's stderr (client-node's error message) that says why: Slipway's own message, else
 * the last line naming an error (a crashed node prints its stack before the error), else the first.
 */
function pluginMessage(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const own = lines.find((line) => line.startsWith('slipway kube-token: '));
  if (own) return own.slice('slipway kube-token: '.length);
  return [...lines].reverse().find((line) => /error|denied|not found|failed/i.test(line) && !line.startsWith('at ')) ?? lines[0] ?? 'no message';
}

function statusOf(error: unknown): number | undefined {
  // ApiException of the generated client: `code` is the HTTP status.
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** The Status message of an ApiException body (JSON text or object), or ''. */
function statusMessage(error: unknown): string {
  const body = (error as { body?: unknown } | undefined)?.body;
  let document: unknown = body;
  if (typeof body === 'string') {
    try {
      document = JSON.parse(body);
    } catch {
      return body.slice(0, 300);
    }
  }
  const message = (document as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

function systemCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').find((line) => line.trim() !== '') ?? message;
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}

/** AKS private cluster FQDNs: `<dns>-<hash>.<guid>.privatelink.<region>.azmk8s.io`, or a custom private DNS zone (`*.private.<region>.azmk8s.io`). */
export function isPrivateClusterName(host: string): boolean {
  return /\.(privatelink|private)\.[a-z0-9-]+\.azmk8s\.io$/i.test(host) || /\.privatelink\./i.test(host);
}

/** RFC 1918, RFC 6598 (CGNAT, used by some VNets), and IPv6 unique local addresses. */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return isIP(address) === 6 && /^f[cd]/i.test(address);
}

/** The API versions of the client-go exec credential protocol (k8s.io/client-go/pkg/apis/clientauthentication). */
export type ExecCredentialApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';

export const execCredentialApiVersion: ExecCredentialApiVersion = 'client.authentication.k8s.io/v1';

/**
 * The version to answer in: the one kubectl announces in KUBERNETES_EXEC_INFO (client-go refuses an
 * answer in another version than the kubeconfig's exec entry names), else v1. client-node and Helm's
 * older client-go do not always set the variable.
 */
export function requestedApiVersion(execInfo: string | undefined): ExecCredentialApiVersion {
  if (!execInfo) return execCredentialApiVersion;
  try {
    const apiVersion = (JSON.parse(execInfo) as { apiVersion?: unknown }).apiVersion;
    if (apiVersion === 'client.authentication.k8s.io/v1beta1') return apiVersion;
  } catch {
    // Not JSON: answer in the version Slipway writes in its exec entries.
  }
  return execCredentialApiVersion;
}

/**
 * The ExecCredential a credential plugin prints on stdout: the bearer token, and when to ask again.
 * expirationTimestamp is RFC 3339 in UTC, without fractions (client-go parses it as metav1.Time).
 */
export function formatExecCredential(credential: { token: string; expiresAt: Date; apiVersion?: ExecCredentialApiVersion }): string {
  return JSON.stringify({
    apiVersion: credential.apiVersion ?? execCredentialApiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false },
    status: { token: credential.token, expirationTimestamp: credential.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
}

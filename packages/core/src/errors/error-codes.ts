import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

export interface ErrorCodeInfo {
  readonly exitCode: ExitCodeValue;
  /** What happened, in the user's terms; docs and help link codes to this text. */
  readonly meaning: string;
}

/**
 * Every stable error code Slipway reports (the `code` of a SlipwayError, `error.code` in `--json`), with
 * its exit code and meaning. Users grep for these and docs link to them, so a code is never renamed;
 * a unit test fails when code in packages/ uses one that is not listed here.
 */
export const errorCodes = {
  CANARY_NOT_DERIVABLE: {
    exitCode: ExitCode.invalidInput,
    meaning: 'the chart rendered with the new values has no Deployment or StatefulSet (hooks aside): nothing to run as a canary; nothing was changed',
  },
  CANARY_NAME_TAKEN: {
    exitCode: ExitCode.environment,
    meaning:
      "an object with a canary object's name exists that Slipway did not create for this release (no managed-by: slipway and slipway.dev/canary-of labels); Slipway neither changes nor deletes it",
  },
  TRAFFIC_ROUTE_CONFLICT: {
    exitCode: ExitCode.needsHuman,
    meaning:
      'a traffic object (HTTPRoute) was changed by someone else while the canary ran; Slipway did not overwrite it, so traffic may still reach the canary',
  },
  PROMETHEUS_UNREACHABLE: {
    exitCode: ExitCode.environment,
    meaning:
      "Prometheus (or Azure Monitor managed Prometheus) could not be queried before the canary began: not reachable, or the identity lacks the workspace's Monitoring Data Reader role",
  },
  CONFIG_INVALID: {
    exitCode: ExitCode.invalidInput,
    meaning: 'slipway.yaml has unknown keys, wrong types, missing sections or unset variables; each problem is at file:line:column and key',
  },
  INPUT_INVALID: { exitCode: ExitCode.invalidInput, meaning: 'one or more inputs are malformed, missing or inconsistent; each problem names its input' },
  OCI_LAYOUT_INVALID: { exitCode: ExitCode.invalidInput, meaning: 'an OCI image layout directory given as input is missing, incomplete or corrupt' },
  TOOL_NOT_FOUND: { exitCode: ExitCode.environment, meaning: 'an external tool (buildah, docker, trivy, git, helm) is not on PATH' },
  EXEC_FAILED: { exitCode: ExitCode.environment, meaning: 'an external tool ran and exited with an error' },
  EXEC_TIMEOUT: { exitCode: ExitCode.environment, meaning: 'an external tool did not finish within its time limit' },
  CANCELLED: { exitCode: ExitCode.environment, meaning: 'the run was cancelled (SIGINT, SIGTERM or the host cancelled the job)' },
  PARSE_FAILED: { exitCode: ExitCode.environment, meaning: "a tool's output could not be understood" },
  REGISTRY_FAILED: { exitCode: ExitCode.environment, meaning: 'a registry refused or failed an operation, or could not be reached' },
  REGISTRY_AUTH_FAILED: {
    exitCode: ExitCode.environment,
    meaning: 'the registry refused the credentials (UNAUTHORIZED) or the identity lacks a role (DENIED)',
  },
  AZURE_AUTH_FAILED: { exitCode: ExitCode.environment, meaning: 'signing in to Azure failed for a reason Entra ID did not give a code for' },
  AADSTS: {
    exitCode: ExitCode.environment,
    meaning: "Entra ID refused the sign-in; the code is Entra's own, AADSTS followed by its number (e.g. AADSTS7000215: wrong client secret)",
  },
  PUSH_DIGEST_MISMATCH: { exitCode: ExitCode.environment, meaning: 'the registry holds different bytes than the layout that was pushed' },
  BUILD_DIGEST_MISMATCH: { exitCode: ExitCode.environment, meaning: 'the builder reported a digest that its OCI layout does not contain' },
  TRIVY_DB_UNAVAILABLE: { exitCode: ExitCode.environment, meaning: 'no vulnerability DB could be had (download failed, offline cache missing or too old)' },
  TRIVY_VERSION_MISMATCH: { exitCode: ExitCode.environment, meaning: 'the installed Trivy is not the version trivy-version requires' },
  HELM_VERSION_UNSUPPORTED: { exitCode: ExitCode.environment, meaning: 'the installed Helm is not 3.14 or newer, nor Helm 4' },
  AKS_CREDENTIALS_FAILED: {
    exitCode: ExitCode.environment,
    meaning:
      "ARM refused or failed to give the AKS cluster's kubeconfig (no such cluster, no Cluster User/Admin role, local accounts disabled); the ARM code is in the message",
  },
  KUBECONFIG_INVALID: { exitCode: ExitCode.environment, meaning: 'a kubeconfig could not be used: not YAML, or no current context, cluster, server or user' },
  KUBE_API_UNREACHABLE: {
    exitCode: ExitCode.environment,
    meaning:
      'the Kubernetes API server could not be reached: its name does not resolve, a private cluster seen from outside its network, a refused connection or a timeout',
  },
  KUBE_API_TLS: {
    exitCode: ExitCode.environment,
    meaning: "TLS with the Kubernetes API server failed: its certificate is not signed by the kubeconfig's CA, or names another host",
  },
  KUBE_API_UNAUTHORIZED: {
    exitCode: ExitCode.environment,
    meaning: 'the Kubernetes API server rejected the credentials (401): the message says which token claim (audience, tenant, expiry) is wrong',
  },
  KUBE_API_FORBIDDEN: {
    exitCode: ExitCode.environment,
    meaning: 'the Kubernetes API server refused the request (403): the message names the verb and resource no Role or ClusterRole bound to the identity allows',
  },
  KUBE_API_FAILED: { exitCode: ExitCode.environment, meaning: 'a Kubernetes API request failed for another reason; the server status is in the message' },
  KUBE_TOKEN_FAILED: {
    exitCode: ExitCode.environment,
    meaning: "the kubeconfig's credential plugin (slipway kube-token, kubelogin) could not get a token; its own message says why",
  },
  KUBECONFIG_NOT_REMOVED: {
    exitCode: ExitCode.needsHuman,
    meaning: "aks-context's post phase could not remove the kubeconfig and its credentials from the runner",
  },
  INTERNAL: { exitCode: ExitCode.environment, meaning: 'a Slipway bug: an invariant did not hold' },
  UNEXPECTED: { exitCode: ExitCode.environment, meaning: 'an error Slipway did not anticipate; the message is the original one' },
  NAMESPACE_NOT_FOUND: { exitCode: ExitCode.environment, meaning: "the release's namespace does not exist and create-namespace is false" },
  ROLLBACK_FAILED: {
    exitCode: ExitCode.needsHuman,
    meaning: 'a release could not be brought back to a good revision (none kept, or none came up healthy); the journal ConfigMap has the timeline',
  },
  RELEASE_LOCKED: {
    exitCode: ExitCode.environment,
    meaning: "another run holds the release's Lease (slipway-release-<release>) and is deploying it; the message names that run, its machine and since when",
  },
  RELEASE_LEASE_LOST: {
    exitCode: ExitCode.environment,
    meaning: "a run lost its release's Lease while deploying: another run took it over, it was deleted, or renewing it failed for longer than it lasts",
  },
  JOURNAL_CONFLICT: {
    exitCode: ExitCode.environment,
    meaning: "the release's deploy journal (ConfigMap slipway-journal-<release>) was changed by someone else between reading and writing it",
  },
  JOURNAL_NAME_TAKEN: {
    exitCode: ExitCode.environment,
    meaning:
      "a ConfigMap with the deploy journal's name exists that Slipway did not create (no managed-by: slipway label); Slipway neither reads, overwrites nor deletes it",
  },
  JOURNAL_CORRUPT: {
    exitCode: ExitCode.environment,
    meaning: "the release's deploy journal (ConfigMap slipway-journal-<release>) holds no journal.json or no valid JSON",
  },
} as const satisfies Readonly<Record<string, ErrorCodeInfo>>;

/** A listed code, or an Entra ID code (`AADSTS` and its number). */
export type ErrorCode = keyof typeof errorCodes | `AADSTS${number}`;

/** True for a code in {@link errorCodes}, including any `AADSTS<number>`. */
export function isKnownErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCodes, code) || /^AADSTS\d+$/.test(code);
}

/** The listing of a code: its own entry, or the AADSTS entry for Entra codes. */
export function describeErrorCode(code: string): ErrorCodeInfo | undefined {
  if (Object.hasOwn(errorCodes, code)) return errorCodes[code as keyof typeof errorCodes];
  return /^AADSTS\d+$/.test(code) ? errorCodes.AADSTS : undefined;
}

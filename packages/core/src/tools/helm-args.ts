import { InputError } from '../errors/index.ts';

/**
 * What the installed Helm understands, where Helm 4 changed the flags (recorded in
 * test/fixtures/helm/helm{3,4}-upgrade-help.txt).
 */
export interface HelmFlags {
  readonly major: 3 | 4;
}

/** The flags of the newest Helm: what the argv builders assume unless told otherwise. */
export const currentHelmFlags: HelmFlags = { major: 4 };

/** Where a chart comes from. */
export type HelmChartRef =
  | { kind: 'path'; path: string }
  /** `oci://registry/repo/chart`; `version` pins the chart version (a tag), latest otherwise. */
  | { kind: 'oci'; reference: string; version?: string }
  /** A chart in a classic (index.yaml) repository, addressed by URL so no `helm repo add` is needed. */
  | { kind: 'repo'; repoUrl: string; chart: string; version: string };

/** Which cluster and namespace a command talks to. */
export interface HelmTarget {
  namespace: string;
  kubeContext?: string;
  /** A kubeconfig file (aks-context writes one, 0600); Helm's default ($KUBECONFIG) otherwise. */
  kubeconfig?: string;
}

/**
 * Helm's own readiness wait and rollback, for users who opt in and for the benchmark. Slipway's deploy
 * does not use them: it watches the workloads itself and fails within seconds of a CrashLoopBackOff,
 * where Helm's wait sits out its whole timeout (helm/helm#7429).
 */
export interface HelmWaitOptions {
  /** Wait for the resources to be ready: `--wait` in Helm 3, `--wait=watcher` (kstatus) in Helm 4. */
  wait?: boolean;
  /** With `wait`, also wait for Jobs to complete. */
  waitForJobs?: boolean;
  /** How long Helm may take; Helm's default (5m) otherwise. */
  timeoutMs?: number;
}

export interface HelmUpgradeOptions extends HelmTarget, HelmWaitOptions {
  release: string;
  chart: HelmChartRef;
  createNamespace?: boolean;
  /** Values files, in order (later wins). Secrets belong here, in 0600 files, never in `set`. */
  valuesFiles?: readonly string[];
  /** `--set key=value`; commas and backslashes in values are escaped, dots in keys are paths. */
  set?: Readonly<Record<string, string>>;
  /** `--set-string key=value`: the value stays a string (`"1.10"` is not the number 1.1). */
  setString?: Readonly<Record<string, string>>;
  /** Recorded in the release history (`helm history` DESCRIPTION). */
  description?: string;
  /** Revisions Helm keeps; 0 keeps all. Helm's default is 10. */
  historyMax?: number;
  /**
   * Roll a failed upgrade back (to the newest deployed or superseded revision): `--atomic` in Helm 3,
   * `--rollback-on-failure` in Helm 4 (helm/helm#13629 renamed it; Helm 4 rejects `--atomic`). Both imply
   * Helm's wait.
   */
  atomic?: boolean;
  /**
   * Helm 4's `--server-side` apply (`true`, `false` or `auto`, Helm 4's default: the previous revision's
   * method). Helm 3 applies client-side only: `false` and `auto` are left out there, `true` is refused.
   */
  serverSide?: 'true' | 'false' | 'auto';
  /** A CA bundle for an OCI or HTTPS chart repository. */
  caFile?: string;
}

export interface HelmRollbackOptions extends HelmTarget, HelmWaitOptions {
  release: string;
  /** The revision to go back to, from lastGoodRevision: always explicit, never Helm's 0 (= current-1). */
  revision: number;
  historyMax?: number;
  /** Delete resources the rollback created when it fails. */
  cleanupOnFail?: boolean;
}

export interface HelmTemplateOptions extends HelmTarget {
  release: string;
  chart: HelmChartRef;
  valuesFiles?: readonly string[];
  set?: Readonly<Record<string, string>>;
  setString?: Readonly<Record<string, string>>;
  /** Render as an upgrade (`.Release.IsUpgrade`), as the canary's chart is rendered beside a release. */
  isUpgrade?: boolean;
  /** `Capabilities.KubeVersion` of the target cluster (e.g. `v1.33.0`); Helm's built-in default otherwise. */
  kubeVersion?: string;
  caFile?: string;
}

export interface HelmUninstallOptions extends HelmTarget, HelmWaitOptions {
  release: string;
  /** A release that is already gone is a success. */
  ignoreNotFound?: boolean;
}

export interface HelmTestOptions extends HelmTarget {
  release: string;
  /** How long each test pod may take (Helm's default: 5m). */
  timeoutMs?: number;
  /** Print each test pod's logs after the tests (`--logs`): what a failed test said. */
  logs?: boolean;
}

export interface HelmRegistryLoginOptions {
  /** The registry host, e.g. `myacr.azurecr.io`. */
  host: string;
  username: string;
  caFile?: string;
  insecure?: boolean;
}

/** `--namespace`, `--kube-context`, `--kubeconfig`: the same for every cluster command. */
function targetArgs(target: HelmTarget): string[] {
  const args = ['--namespace', target.namespace];
  if (target.kubeContext) args.push('--kube-context', target.kubeContext);
  if (target.kubeconfig) args.push('--kubeconfig', target.kubeconfig);
  return args;
}

/** Helm durations are Go durations; whole seconds, rounded up so a short timeout never becomes 0 (none). */
function timeoutArgs(timeoutMs: number | undefined): string[] {
  return timeoutMs === undefined ? [] : ['--timeout', `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`];
}

/**
 * Helm 4 made `--wait` a strategy whose default is `hookOnly` (no readiness wait); `watcher` is what bare
 * `--wait` means there, spelt out so the argv reads the same whatever Helm 4 changes its bare default to.
 */
function waitArgs(options: HelmWaitOptions, flags: HelmFlags): string[] {
  if (!options.wait) return [];
  return [flags.major === 3 ? '--wait' : '--wait=watcher', ...(options.waitForJobs ? ['--wait-for-jobs'] : [])];
}

/**
 * Helm splits `--set` values at commas and reads backslashes as escapes (strvals), so a value such as
 * `a,b` would silently become two keys; escaping keeps the value the user wrote.
 */
function escapeSetValue(value: string): string {
  return value.replace(/[\\,]/g, (character) => `\\${character}`);
}

function setArgs(flag: '--set' | '--set-string', values: Readonly<Record<string, string>> | undefined): string[] {
  return Object.entries(values ?? {}).flatMap(([key, value]) => [flag, `${key}=${escapeSetValue(value)}`]);
}

function valuesArgs(options: Pick<HelmUpgradeOptions, 'valuesFiles' | 'set' | 'setString'>): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...setArgs('--set', options.set),
    ...setArgs('--set-string', options.setString),
  ];
}

/** The chart positional and the flags that locate it. */
function chartArgs(chart: HelmChartRef, caFile: string | undefined): { positional: string; flags: string[] } {
  const ca = caFile ? ['--ca-file', caFile] : [];
  switch (chart.kind) {
    case 'path':
      return { positional: chart.path, flags: [] };
    case 'oci':
      if (!chart.reference.startsWith('oci://')) throw new InputError('chart', `an OCI chart reference starts with oci:// (got ${chart.reference})`);
      return { positional: chart.reference, flags: [...(chart.version ? ['--version', chart.version] : []), ...ca] };
    case 'repo':
      return { positional: chart.chart, flags: ['--repo', chart.repoUrl, '--version', chart.version, ...ca] };
  }
}

function historyMaxArgs(historyMax: number | undefined): string[] {
  if (historyMax === undefined) return [];
  if (!Number.isInteger(historyMax) || historyMax < 0) throw new InputError('history-max', `must be a whole number, 0 or more (got ${historyMax})`);
  return ['--history-max', String(historyMax)];
}

/** `helm upgrade --install`: installs the release when it does not exist, upgrades it otherwise. */
export function buildHelmUpgradeArgs(options: HelmUpgradeOptions, flags: HelmFlags = currentHelmFlags): string[] {
  const chart = chartArgs(options.chart, options.caFile);
  const args = ['upgrade', '--install', options.release, chart.positional, ...chart.flags, ...targetArgs(options)];
  if (options.createNamespace) args.push('--create-namespace');
  args.push(...valuesArgs(options));
  args.push(...waitArgs(options, flags));
  if (options.atomic) args.push(flags.major === 3 ? '--atomic' : '--rollback-on-failure');
  args.push(...timeoutArgs(options.timeoutMs));
  if (options.description) args.push('--description', options.description);
  args.push(...historyMaxArgs(options.historyMax));
  if (options.serverSide === 'true' && flags.major === 3) {
    throw new InputError('server-side', 'server-side apply needs Helm 4; Helm 3 applies client-side only');
  }
  if (options.serverSide && flags.major === 4) args.push(`--server-side=${options.serverSide}`);
  return args;
}

/** `helm rollback <release> <revision>` to an explicit revision. */
export function buildHelmRollbackArgs(options: HelmRollbackOptions, flags: HelmFlags = currentHelmFlags): string[] {
  // Revision 0 is Helm's "current-1", which may itself be the failed revision (helm/helm#1796).
  if (!Number.isInteger(options.revision) || options.revision < 1) {
    throw new InputError('revision', `a rollback needs an explicit revision of 1 or more (got ${options.revision})`);
  }
  const args = ['rollback', options.release, String(options.revision), ...targetArgs(options), ...waitArgs(options, flags), ...timeoutArgs(options.timeoutMs)];
  args.push(...historyMaxArgs(options.historyMax));
  if (options.cleanupOnFail) args.push('--cleanup-on-fail');
  return args;
}

/** `helm status -o json`: the release's current revision. */
export function buildHelmStatusArgs(release: string, target: HelmTarget): string[] {
  return ['status', release, ...targetArgs(target), '--output', 'json'];
}

/** `helm history -o json`, the newest `max` revisions (Helm's default is 256). */
export function buildHelmHistoryArgs(release: string, target: HelmTarget, max?: number): string[] {
  return ['history', release, ...targetArgs(target), '--output', 'json', ...(max === undefined ? [] : ['--max', String(max)])];
}

/** `helm get manifest`, of one revision or of the current one. */
export function buildHelmGetManifestArgs(release: string, target: HelmTarget, revision?: number): string[] {
  return ['get', 'manifest', release, ...targetArgs(target), ...(revision === undefined ? [] : ['--revision', String(revision)])];
}

/** `helm get values -o json`: the user-supplied values, or with `all` the computed ones. */
export function buildHelmGetValuesArgs(release: string, target: HelmTarget, options: { revision?: number; all?: boolean } = {}): string[] {
  const args = ['get', 'values', release, ...targetArgs(target), '--output', 'json'];
  if (options.all) args.push('--all');
  if (options.revision !== undefined) args.push('--revision', String(options.revision));
  return args;
}

/** `helm template`: the chart rendered with new values, without touching the release. */
export function buildHelmTemplateArgs(options: HelmTemplateOptions): string[] {
  const chart = chartArgs(options.chart, options.caFile);
  const args = ['template', options.release, chart.positional, ...chart.flags, ...targetArgs(options), ...valuesArgs(options)];
  if (options.isUpgrade) args.push('--is-upgrade');
  if (options.kubeVersion) args.push('--kube-version', options.kubeVersion);
  return args;
}

/** `helm test`: runs the release's test hooks, one pod after another, against the deployed release. */
export function buildHelmTestArgs(options: HelmTestOptions): string[] {
  const args = ['test', options.release, ...targetArgs(options), ...timeoutArgs(options.timeoutMs)];
  if (options.logs) args.push('--logs');
  return args;
}

/** `helm registry login`; the password goes on stdin, never argv. */
export function buildHelmRegistryLoginArgs(options: HelmRegistryLoginOptions): string[] {
  const args = ['registry', 'login', options.host, '--username', options.username, '--password-stdin'];
  if (options.caFile) args.push('--ca-file', options.caFile);
  if (options.insecure) args.push('--insecure');
  return args;
}

/** `helm uninstall`. */
export function buildHelmUninstallArgs(options: HelmUninstallOptions, flags: HelmFlags = currentHelmFlags): string[] {
  const args = ['uninstall', options.release, ...targetArgs(options), ...waitArgs({ wait: options.wait }, flags), ...timeoutArgs(options.timeoutMs)];
  if (options.ignoreNotFound) args.push('--ignore-not-found');
  return args;
}

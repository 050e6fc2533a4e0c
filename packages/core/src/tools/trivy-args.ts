import { isVersionAtLeast, type ToolVersion } from './tool-version.ts';

/** What to scan: an OCI layout directory from `build`, or an image in a registry. */
export type ScanTarget = { kind: 'layout'; path: string } | { kind: 'image'; reference: string };

export interface TrivyScanOptions {
  target: ScanTarget;
  scanners: readonly string[];
  cacheDir: string;
  outputFile: string;
  timeoutMs: number;
  /** Needed for a CycloneDX SBOM converted from the JSON report. */
  listAllPackages: boolean;
  offline: boolean;
  insecureRegistry: boolean;
}

/** What the installed Trivy understands, where that changed between versions. */
export interface TrivyFlags {
  /**
   * `--skip-version-check` and `--disable-telemetry` came with Trivy 0.63.0, together with the calls to
   * check.trivy.dev they switch off (aquasecurity/trivy#8553); older versions reject them as unknown.
   */
  readonly noPhoneHome: boolean;
}

/** The flags of the newest Trivy: what the argv builders assume unless told otherwise. */
export const currentTrivyFlags: TrivyFlags = { noPhoneHome: true };

export function trivyFlagsFor(version: ToolVersion): TrivyFlags {
  return { noPhoneHome: isVersionAtLeast(version, '0.63.0') };
}

/** Flags every invocation gets: no phoning home (the air-gap docs need both), quiet progress output. */
function quietFlags(flags: TrivyFlags): string[] {
  return [...(flags.noPhoneHome ? ['--skip-version-check', '--disable-telemetry'] : []), '--quiet'];
}

/** The cache and the JSON report every scan writes: one file Slipway reads, whatever the user's output wishes. */
function jsonReportArgs(options: { cacheDir: string; outputFile: string }): string[] {
  return ['--cache-dir', options.cacheDir, '--format', 'json', '--output', options.outputFile];
}

/** Trivy's `--timeout` in whole seconds, rounded up so a short one never becomes 0. */
function timeoutArg(timeoutMs: number): string {
  return `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`;
}

/**
 * `trivy image` argv. The DB is prepared beforehand (ensureTrivyDb), so the scan never downloads it;
 * severity, ignore-unfixed and ignore files are applied by Slipway to the JSON, not passed to Trivy, so
 * the report always holds everything and the gate does not depend on the output format.
 */
export function buildTrivyScanArgs(options: TrivyScanOptions, flags: TrivyFlags = currentTrivyFlags): string[] {
  const args = [
    'image',
    ...jsonReportArgs(options),
    '--scanners',
    options.scanners.join(','),
    '--timeout',
    timeoutArg(options.timeoutMs),
    '--skip-db-update',
    ...quietFlags(flags),
  ];
  if (options.offline) args.push('--skip-java-db-update', '--offline-scan', '--skip-check-update');
  if (options.listAllPackages) args.push('--list-all-pkgs');
  if (options.insecureRegistry) args.push('--insecure');
  if (options.target.kind === 'layout') args.push('--input', options.target.path);
  else args.push('--image-src', 'remote', options.target.reference);
  return args;
}

/** Trivy's severities; `--severity` lists them all so a TRIVY_SEVERITY in the job's environment cannot thin the report. */
const allSeverities = 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL';

/** `trivy config` of a directory of rendered manifests: Trivy's misconfiguration checks, offline. */
export interface TrivyConfigScanOptions {
  /** The directory to scan; Trivy names each result after its path relative to this. */
  dir: string;
  /**
   * Trivy's cache dir. With `--skip-check-update` Trivy loads a checks bundle cached here, else the checks
   * embedded in its binary; an empty private dir pins the checks to the installed Trivy's own.
   */
  cacheDir: string;
  outputFile: string;
  timeoutMs: number;
  /** `--misconfig-scanners`: which file types to check (`kubernetes` for rendered charts). */
  misconfigScanners: readonly string[];
  /**
   * An empty file, given as `--ignorefile`. Slipway applies ignore files itself (expiry, reporting), so
   * Trivy must not apply one of its own: by default it reads `.trivyignore` from its working directory, or
   * TRIVY_IGNOREFILE. (A named ignore file that does not exist is fatal: `ignore file not found`.)
   */
  emptyIgnoreFile: string;
  /** Extra Rego checks (`--config-check`, files or dirs) and the namespaces they live in (`--check-namespaces`). */
  extraChecks?: { paths: readonly string[]; namespaces: readonly string[] };
  /** `--k8s-version`: the cluster's version, for the checks of deprecated APIs. */
  k8sVersion?: string;
}

/**
 * `trivy config` argv. `--skip-check-update` keeps the scan off the network: without it Trivy first asks
 * mirror.gcr.io for the trivy-checks bundle (and falls back to its embedded checks when that fails, after
 * a DNS timeout on an air-gapped runner). Severity, ignore file and exit code are set explicitly so the
 * job's TRIVY_* environment cannot change what the report holds or fail the call.
 */
export function buildTrivyConfigArgs(options: TrivyConfigScanOptions, flags: TrivyFlags = currentTrivyFlags): string[] {
  const args = [
    'config',
    ...jsonReportArgs(options),
    '--misconfig-scanners',
    options.misconfigScanners.join(','),
    '--severity',
    allSeverities,
    '--ignorefile',
    options.emptyIgnoreFile,
    '--exit-code',
    '0',
    '--timeout',
    timeoutArg(options.timeoutMs),
    '--skip-check-update',
    ...quietFlags(flags),
  ];
  for (const checks of options.extraChecks?.paths ?? []) args.push('--config-check', checks);
  if (options.extraChecks && options.extraChecks.namespaces.length > 0) args.push('--check-namespaces', options.extraChecks.namespaces.join(','));
  if (options.k8sVersion) args.push('--k8s-version', options.k8sVersion.replace(/^v/, ''));
  args.push(options.dir);
  return args;
}

/** Downloads only the vulnerability DB from one repository (one mirror of the list). */
export function buildTrivyDbDownloadArgs(cacheDir: string, repository: string, insecureRegistry: boolean, flags: TrivyFlags = currentTrivyFlags): string[] {
  return [
    'image',
    '--download-db-only',
    '--cache-dir',
    cacheDir,
    '--db-repository',
    repository,
    ...quietFlags(flags),
    ...(insecureRegistry ? ['--insecure'] : []),
  ];
}

/** `trivy convert` of the JSON report into another format (CycloneDX SBOM). */
export function buildTrivyConvertArgs(reportFile: string, format: string, outputFile: string): string[] {
  return ['convert', '--format', format, '--output', outputFile, reportFile];
}

import { ParseError } from '../errors/index.ts';
import { parseToolVersion, type ToolVersion } from './tool-version.ts';

/** Every status a Helm release revision can have (helm `pkg/release/common/status.go`). */
export const helmReleaseStatuses = [
  'unknown',
  'deployed',
  'uninstalled',
  'superseded',
  'failed',
  'uninstalling',
  'pending-install',
  'pending-upgrade',
  'pending-rollback',
] as const;

export type HelmReleaseStatusValue = (typeof helmReleaseStatuses)[number];

export function isHelmReleaseStatusValue(value: unknown): value is HelmReleaseStatusValue {
  return typeof value === 'string' && (helmReleaseStatuses as readonly string[]).includes(value);
}

/**
 * A `pending-*` revision holds Helm's lock: every later upgrade or rollback fails with "another operation
 * (install/upgrade/rollback) is in progress" until it is repaired (helm/helm#7476, `IsPending`).
 */
export function isPendingHelmStatus(status: HelmReleaseStatusValue): boolean {
  return status.startsWith('pending-');
}

/** `helm status -o json`, the parts Slipway reads. */
export interface HelmReleaseStatus {
  readonly name: string;
  readonly namespace: string;
  readonly revision: number;
  readonly status: HelmReleaseStatusValue;
  /** e.g. `Install complete`, `Upgrade "demo" failed: context deadline exceeded`. */
  readonly description: string;
  readonly firstDeployed: string | undefined;
  readonly lastDeployed: string | undefined;
  /** Helm 4 only: `ssa` (server-side apply) or `csa` (client-side). */
  readonly applyMethod: string | undefined;
}

/** One row of `helm history -o json`. */
export interface HelmHistoryEntry {
  readonly revision: number;
  readonly updated: string;
  readonly status: HelmReleaseStatusValue;
  /** `name-version`, e.g. `slipway-demo-0.1.0`. */
  readonly chart: string;
  readonly appVersion: string;
  readonly description: string;
}

export interface HelmVersion extends ToolVersion {
  readonly major: 3 | 4;
}

/**
 * `helm version --template '{{.Version}}'` (`v3.18.6`, no newline) or `helm version --short`
 * (`v3.18.6`, `v3.18.6+gb76a950` for a release built with its commit). Any other major is refused by the
 * adapter, not here: this only reads.
 */
export function parseHelmVersion(stdout: string): ToolVersion {
  const version = parseToolVersion(stdout);
  if (!version.release) throw new ParseError('helm version', stdout);
  return version;
}

function parseJson(what: string, stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch (error) {
    throw new ParseError(what, stdout, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRevision(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `helm status <release> -o json` (Helm 3 and 4). */
export function parseHelmStatus(stdout: string): HelmReleaseStatus {
  const document = parseJson('helm status -o json', stdout);
  if (!isRecord(document) || !isRecord(document.info)) throw new ParseError('helm status -o json (no info)', stdout);
  const { name, namespace, version } = document;
  const { status, description } = document.info;
  if (typeof name !== 'string' || typeof namespace !== 'string' || !isRevision(version) || !isHelmReleaseStatusValue(status)) {
    throw new ParseError('helm status -o json (name, namespace, version or info.status missing or unknown)', stdout);
  }
  return {
    name,
    namespace,
    revision: version,
    status,
    description: typeof description === 'string' ? description : '',
    firstDeployed: optionalString(document.info.first_deployed),
    lastDeployed: optionalString(document.info.last_deployed),
    applyMethod: optionalString(document.apply_method),
  };
}

function toHistoryEntry(value: unknown): HelmHistoryEntry | undefined {
  if (!isRecord(value) || !isRevision(value.revision) || !isHelmReleaseStatusValue(value.status)) return undefined;
  return {
    revision: value.revision,
    updated: typeof value.updated === 'string' ? value.updated : '',
    status: value.status,
    chart: typeof value.chart === 'string' ? value.chart : '',
    appVersion: typeof value.app_version === 'string' ? value.app_version : '',
    description: typeof value.description === 'string' ? value.description : '',
  };
}

/** `helm history <release> -o json`, oldest first as Helm prints it. */
export function parseHelmHistory(stdout: string): HelmHistoryEntry[] {
  const document = parseJson('helm history -o json', stdout);
  if (!Array.isArray(document)) throw new ParseError('helm history -o json (not a list)', stdout);
  return document.map((value, index) => {
    const entry = toHistoryEntry(value);
    if (!entry) throw new ParseError(`helm history -o json (entry ${index}: revision or status missing or unknown)`, stdout);
    return entry;
  });
}

/** `helm get values -o json`: the values object (`null` when none were given becomes `{}`). */
export function parseHelmValues(stdout: string): Record<string, unknown> {
  const document = parseJson('helm get values -o json', stdout);
  if (document === null) return {};
  if (!isRecord(document)) throw new ParseError('helm get values -o json (not an object)', stdout);
  return document;
}

/**
 * The revisions a rollback may go to, best first: `deployed` or `superseded` ones, newest first, never
 * the current (newest) revision whatever its status — it is what is being rolled back (after a failed
 * upgrade, or a `deployed` one that Slipway's own health watch failed), so going "back" to it would
 * change nothing — nor one in `exclude` (revisions Slipway saw fail its health watch, which Helm may
 * still call deployed or superseded). Never simply current-1, which may be a failed revision
 * (helm/helm#1796); a failed upgrade also leaves the revision before it `deployed`, not `superseded`
 * (recorded in test/fixtures/helm). Empty when there is none, e.g. the first install failed or `--max`
 * or `--history-max` cut the good ones off.
 */
export function rollbackCandidates(history: readonly HelmHistoryEntry[], exclude: readonly number[] = []): number[] {
  const current = currentRevision(history)?.revision;
  return history
    .filter((entry) => entry.revision !== current && (entry.status === 'deployed' || entry.status === 'superseded') && !exclude.includes(entry.revision))
    .map((entry) => entry.revision)
    .sort((a, b) => b - a);
}

/** The revision to roll back to: the first of {@link rollbackCandidates}. */
export function lastGoodRevision(history: readonly HelmHistoryEntry[], exclude: readonly number[] = []): number | undefined {
  return rollbackCandidates(history, exclude)[0];
}

/** The newest revision in a history, undefined for none. */
export function currentRevision(history: readonly HelmHistoryEntry[]): HelmHistoryEntry | undefined {
  return history.reduce<HelmHistoryEntry | undefined>(
    (newest, entry) => (newest === undefined || entry.revision > newest.revision ? entry : newest),
    undefined,
  );
}

/**
 * The manifest in `helm template`'s stdout. Helm 4 prints `Pulled: <ref>` and `Digest: <digest>` on
 * stdout, before the manifest, when it pulls an OCI chart (recorded in
 * test/fixtures/helm/helm4-template-oci.txt); Helm 3 prints them on stderr. They are not YAML documents.
 */
export function parseHelmTemplateOutput(stdout: string): string {
  const lines = stdout.split('\n');
  let start = 0;
  while (start < lines.length && /^(Pulled|Digest): \S+$/.test(lines[start] ?? '')) start += 1;
  return lines.slice(start).join('\n');
}

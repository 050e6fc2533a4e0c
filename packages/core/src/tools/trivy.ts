import { ParseError, SlipwayError } from '../errors/index.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import type { ProcessRunner } from '../exec/index.ts';
import { CliTool } from './cli-tool.ts';
import { parseToolVersion, type ToolVersion } from './tool-version.ts';
import {
  buildTrivyConfigArgs,
  buildTrivyConvertArgs,
  buildTrivyDbDownloadArgs,
  buildTrivyScanArgs,
  trivyFlagsFor,
  type TrivyConfigScanOptions,
  type TrivyScanOptions,
} from './trivy-args.ts';

export interface TrivyVersion extends ToolVersion {
  /** The DB in Trivy's default cache, when it has one. */
  readonly vulnerabilityDb: { readonly version: number; readonly updatedAt: string | undefined } | undefined;
}

/** `trivy --version --format json`: `{"Version":"0.74.0","VulnerabilityDB":{"Version":2,...},...}`. */
export function parseTrivyVersion(stdout: string): TrivyVersion {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch (error) {
    throw new ParseError('trivy --version --format json', stdout, { cause: error });
  }
  if (!isRecord(document) || typeof document.Version !== 'string') throw new ParseError('trivy --version --format json (no Version)', stdout);
  const db = isRecord(document.VulnerabilityDB) ? document.VulnerabilityDB : undefined;
  return {
    ...parseToolVersion(document.Version),
    vulnerabilityDb:
      db && typeof db.Version === 'number' ? { version: db.Version, updatedAt: typeof db.UpdatedAt === 'string' ? db.UpdatedAt : undefined } : undefined,
  };
}

/** Trivy is not the version `trivy-version` pins. */
export class TrivyVersionMismatchError extends SlipwayError {
  constructor(installed: string, required: string) {
    super('TRIVY_VERSION_MISMATCH', `trivy ${installed} is installed but trivy-version requires ${required}`, ExitCode.environment, {
      hint: `install Trivy ${required} on the runner, or change trivy-version`,
    });
  }
}

/**
 * The environment every Trivy call gets. The air-gap docs: both are needed to stop the background
 * request to check.trivy.dev, and unlike the flags they are harmless to versions that predate them.
 */
const airGapEnv: Readonly<Record<string, string>> = { TRIVY_SKIP_VERSION_CHECK: 'true', TRIVY_DISABLE_TELEMETRY: 'true' };

export interface TrivyRunOptions {
  /** Extra environment: registry credentials (TRIVY_USERNAME/TRIVY_PASSWORD), never argv. */
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  onLine?: (line: string) => void;
  /** Where Trivy runs. It reads `trivy.yaml` (and, unless told another, `.trivyignore`) from there. */
  cwd?: string;
}

/** The Trivy CLI: version (and pin), DB download, image scan, config scan, convert. */
export class Trivy extends CliTool<TrivyVersion> {
  constructor(runner: ProcessRunner, binPath = 'trivy') {
    super(runner, binPath);
  }

  protected async readVersion(): Promise<TrivyVersion> {
    const { stdout } = await this.run(['--version', '--format', 'json'], { timeoutMs: 30_000, env: airGapEnv });
    return parseTrivyVersion(stdout);
  }

  /** The installed version, refused when `pin` (e.g. `0.74.0`) names another. */
  async requireVersion(pin: string | undefined): Promise<TrivyVersion> {
    const version = await this.version();
    if (pin && version.text !== pin.replace(/^v/, '')) throw new TrivyVersionMismatchError(version.text, pin);
    return version;
  }

  /** `trivy image` writing a JSON report to `options.outputFile`. */
  async scan(options: TrivyScanOptions, run: TrivyRunOptions = {}): Promise<void> {
    const flags = trivyFlagsFor(await this.version());
    await this.run(buildTrivyScanArgs(options, flags), {
      cwd: run.cwd,
      env: { ...airGapEnv, ...run.env },
      timeoutMs: run.timeoutMs,
      onLine: run.onLine,
      failureHint: 'Trivy failed before producing a report; the scan did not pass',
    });
  }

  /**
   * `trivy config` of `options.dir` writing a JSON report to `options.outputFile`; never touches the
   * network (see buildTrivyConfigArgs). It runs in `run.cwd`, by default `options.dir`, never in the
   * step's working directory: Trivy reads `trivy.yaml` from where it runs, and the workspace's must not
   * change the gate.
   */
  async scanConfig(options: TrivyConfigScanOptions, run: TrivyRunOptions = {}): Promise<void> {
    const flags = trivyFlagsFor(await this.version());
    await this.run(buildTrivyConfigArgs(options, flags), {
      cwd: run.cwd ?? options.dir,
      env: { ...airGapEnv, ...run.env },
      timeoutMs: run.timeoutMs,
      onLine: run.onLine,
      failureHint: 'Trivy failed before producing a report; the policy gate did not pass',
    });
  }

  /** Downloads the vulnerability DB from one repository into `cacheDir`/db. */
  async downloadDb(cacheDir: string, repository: string, options: { insecureRegistry: boolean } & TrivyRunOptions): Promise<void> {
    const flags = trivyFlagsFor(await this.version());
    await this.run(buildTrivyDbDownloadArgs(cacheDir, repository, options.insecureRegistry, flags), {
      cwd: options.cwd,
      env: { ...airGapEnv, ...options.env },
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
      onLine: options.onLine,
    });
  }

  /** Converts a JSON report into another format (`cyclonedx`). */
  async convert(reportFile: string, format: string, outputFile: string): Promise<void> {
    await this.run(buildTrivyConvertArgs(reportFile, format, outputFile), { env: airGapEnv, timeoutMs: 120_000 });
  }
}

/** Docker-style registry credentials as Trivy reads them: its documented variables, never argv. */
export function trivyCredentialEnv(credentials: { username: string; password: string }): Record<string, string> {
  return { TRIVY_USERNAME: credentials.username, TRIVY_PASSWORD: credentials.password };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

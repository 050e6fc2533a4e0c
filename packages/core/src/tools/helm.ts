import { ExecError, ParseError, SlipwayError } from '../errors/index.ts';
import { ExitCode } from '../errors/exit-codes.ts';
import type { ProcessRunner, RunOptions } from '../exec/index.ts';
import { CliTool } from './cli-tool.ts';
import {
  buildHelmGetManifestArgs,
  buildHelmGetValuesArgs,
  buildHelmHistoryArgs,
  buildHelmRegistryLoginArgs,
  buildHelmRollbackArgs,
  buildHelmStatusArgs,
  buildHelmTemplateArgs,
  buildHelmTestArgs,
  buildHelmUninstallArgs,
  buildHelmUpgradeArgs,
  type HelmFlags,
  type HelmRegistryLoginOptions,
  type HelmRollbackOptions,
  type HelmTarget,
  type HelmTemplateOptions,
  type HelmTestOptions,
  type HelmUninstallOptions,
  type HelmUpgradeOptions,
} from './helm-args.ts';
import {
  parseHelmHistory,
  parseHelmStatus,
  parseHelmTemplateOutput,
  parseHelmValues,
  parseHelmVersion,
  type HelmHistoryEntry,
  type HelmReleaseStatus,
  type HelmVersion,
} from './helm-parsers.ts';
import { isVersionAtLeast, type ToolVersion } from './tool-version.ts';
import { formatCommand } from '../exec/format-command.ts';
import { parseHelmTestOutput, type HelmTestRun } from '../smoke/helm-test-output.ts';

/** The oldest Helm 3 Slipway runs: the oldest release still given security fixes when Helm 4 came out. */
export const minimumHelm3 = '3.14.0';

/** Helm is too old (3 before 3.14, or 2) or a major Slipway does not know. */
export class HelmVersionUnsupportedError extends SlipwayError {
  constructor(installed: string) {
    super('HELM_VERSION_UNSUPPORTED', `helm ${installed} is installed but Slipway needs Helm ${minimumHelm3} or newer, or Helm 4`, ExitCode.environment, {
      hint: 'install Helm 3.14+ or Helm 4 on the runner (azure/setup-helm, HelmInstaller@1), or point helm-path at one',
    });
  }
}

/** A release number is Helm 3 from 3.14 on, or Helm 4; anything else is refused. */
export function toSupportedHelmVersion(version: ToolVersion): HelmVersion {
  const major = version.release?.[0];
  if (major === 4) return { ...version, major };
  if (major === 3 && isVersionAtLeast(version, minimumHelm3)) return { ...version, major };
  throw new HelmVersionUnsupportedError(version.text);
}

export function helmFlagsFor(version: HelmVersion): HelmFlags {
  return { major: version.major };
}

/**
 * How long the process may run when Helm itself was given `--timeout`: Helm's timeout plus a minute, so
 * Helm gets to record the revision as failed on its own instead of being killed mid-operation (a killed
 * Helm leaves the release `pending-*` and locked, helm/helm#7476). Without one, Helm's 5m default.
 */
function processTimeoutMs(helmTimeoutMs: number | undefined): number {
  return (helmTimeoutMs ?? 300_000) + 60_000;
}

export interface HelmRunOptions {
  onLine?: RunOptions['onLine'];
}

/** Read-only commands (status, history, get, template) answer in seconds; a stuck API server must not hang a step. */
const readTimeoutMs = 120_000;

/** The Helm CLI, 3 (3.14+) or 4: one object that picks the flags of the installed major. */
export class Helm extends CliTool<HelmVersion> {
  readonly #env: Readonly<Record<string, string>>;

  /**
   * `env` goes to every Helm run: HELM_REGISTRY_CONFIG pointing at a private file, so that a registry
   * login never writes to the user's ~/.config/helm (Slipway must not change what it did not create).
   */
  constructor(runner: ProcessRunner, binPath = 'helm', env: Readonly<Record<string, string>> = {}) {
    super(runner, binPath);
    this.#env = env;
  }

  protected override run(args: readonly string[], options: RunOptions = {}): ReturnType<CliTool<HelmVersion>['run']> {
    return super.run(args, { ...options, env: { ...this.#env, ...options.env } });
  }

  /**
   * `version --template '{{.Version}}'`, which prints just the version in both majors; `version --short`
   * when a wrapper or build rejects the template. Refuses Helm 3 before 3.14 and other majors.
   */
  protected async readVersion(): Promise<HelmVersion> {
    let version: ToolVersion;
    try {
      version = parseHelmVersion((await this.run(['version', '--template', '{{.Version}}'], { timeoutMs: 30_000 })).stdout);
    } catch (error) {
      if (!(error instanceof ExecError || error instanceof ParseError)) throw error;
      version = parseHelmVersion((await this.run(['version', '--short'], { timeoutMs: 30_000 })).stdout);
    }
    return toSupportedHelmVersion(version);
  }

  /** This Helm (its version already known) run through another runner, e.g. one the cancel signal does not abort. */
  withRunner(runner: ProcessRunner): Helm {
    const helm = new Helm(runner, this.binPath, this.#env);
    helm.adoptVersionOf(this);
    return helm;
  }

  /** The flags of the installed Helm. */
  async flags(): Promise<HelmFlags> {
    return helmFlagsFor(await this.version());
  }

  /** `upgrade --install`. Values with secrets go in files from writeHelmValuesFiles, never in `set`. */
  async upgrade(options: HelmUpgradeOptions, run: HelmRunOptions = {}): Promise<void> {
    await this.run(buildHelmUpgradeArgs(options, await this.flags()), {
      timeoutMs: processTimeoutMs(options.timeoutMs),
      onLine: run.onLine,
      failureHint: 'see `helm history` for the revision this left; a pending-* one blocks the next upgrade until repaired',
    });
  }

  /** Rolls back to an explicit revision (from lastGoodRevision). */
  async rollback(options: HelmRollbackOptions, run: HelmRunOptions = {}): Promise<void> {
    await this.run(buildHelmRollbackArgs(options, await this.flags()), { timeoutMs: processTimeoutMs(options.timeoutMs), onLine: run.onLine });
  }

  async status(release: string, target: HelmTarget): Promise<HelmReleaseStatus> {
    return parseHelmStatus((await this.run(buildHelmStatusArgs(release, target), { timeoutMs: readTimeoutMs })).stdout);
  }

  /** The newest `max` revisions, oldest first. */
  async history(release: string, target: HelmTarget, max?: number): Promise<HelmHistoryEntry[]> {
    return parseHelmHistory((await this.run(buildHelmHistoryArgs(release, target, max), { timeoutMs: readTimeoutMs })).stdout);
  }

  /** The rendered manifest (multi-document YAML) of a revision, the current one by default. */
  async getManifest(release: string, target: HelmTarget, revision?: number): Promise<string> {
    return (await this.run(buildHelmGetManifestArgs(release, target, revision), { timeoutMs: readTimeoutMs })).stdout;
  }

  async getValues(release: string, target: HelmTarget, options: { revision?: number; all?: boolean } = {}): Promise<Record<string, unknown>> {
    return parseHelmValues((await this.run(buildHelmGetValuesArgs(release, target, options), { timeoutMs: readTimeoutMs })).stdout);
  }

  /** The chart rendered with the given values (multi-document YAML), the release untouched. */
  async template(options: HelmTemplateOptions): Promise<string> {
    return parseHelmTemplateOutput((await this.run(buildHelmTemplateArgs(options), { timeoutMs: readTimeoutMs })).stdout);
  }

  /** Signs in to an OCI registry for charts; the password goes on stdin and is redacted from every log. */
  async registryLogin(options: HelmRegistryLoginOptions, password: string): Promise<void> {
    await this.run(buildHelmRegistryLoginArgs(options), { stdin: password, secrets: [password], timeoutMs: readTimeoutMs });
  }

  /**
   * `helm test`: which test pods passed and which failed. A failed test is a result, not an error (Helm
   * exits 1 for it); an ExecError only when Helm never got to the tests (no such release, no cluster).
   */
  async test(options: HelmTestOptions, run: HelmRunOptions = {}): Promise<HelmTestRun> {
    const args = buildHelmTestArgs(options);
    const result = await this.run(args, { timeoutMs: processTimeoutMs(options.timeoutMs), onLine: run.onLine, okExitCodes: [0, 1] });
    const parsed = parseHelmTestOutput(result);
    if (!parsed.ran) {
      throw new ExecError(
        { command: formatCommand(this.binPath, args), exitCode: result.exitCode, stderrTail: result.stderr.trim().split('\n').slice(-20).join('\n') },
        { hint: 'check that the release exists in that namespace (`helm status`)' },
      );
    }
    return parsed;
  }

  async uninstall(options: HelmUninstallOptions): Promise<void> {
    await this.run(buildHelmUninstallArgs(options, await this.flags()), { timeoutMs: processTimeoutMs(options.timeoutMs) });
  }
}

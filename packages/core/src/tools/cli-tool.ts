import type { ProcessRunner, RunOptions, RunResult } from '../exec/index.ts';
import type { ToolVersion } from './tool-version.ts';

/**
 * What every external tool adapter shares: where the binary is, the one exec seam (the ProcessRunner,
 * which tests replace by putting a fake binary on PATH), and a version asked once per adapter.
 * Subclasses add pure argv builders and typed parsers for their tool, and version-dependent flags.
 */
export abstract class CliTool<TVersion extends ToolVersion> {
  readonly binPath: string;
  protected readonly runner: ProcessRunner;
  #version: Promise<TVersion> | undefined;

  protected constructor(runner: ProcessRunner, binPath: string) {
    this.runner = runner;
    this.binPath = binPath;
  }

  /**
   * The tool's version, asked once. A failed probe is not remembered, so a retry after installing the
   * tool (or a transient failure) asks again.
   */
  version(): Promise<TVersion> {
    this.#version ??= this.readVersion().catch((error: unknown) => {
      this.#version = undefined;
      throw error;
    });
    return this.#version;
  }

  /** Shares another adapter's (memoised) version, for a copy of it on another runner. */
  protected adoptVersionOf(other: CliTool<TVersion>): void {
    this.#version = other.#version;
  }

  /** Runs the tool and parses what it says its version is. */
  protected abstract readVersion(): Promise<TVersion>;

  protected run(args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.runner.run(this.binPath, args, options);
  }

  /** True when `binPath args` starts and exits 0; an availability probe, never a success check. */
  protected canRun(args: readonly string[]): Promise<boolean> {
    return this.runner.canRun(this.binPath, args);
  }
}

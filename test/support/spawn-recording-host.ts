import { ProcessRunner, readGitContext, Redactor, type CiContext } from '@slipway/core';
import { FakeHost, type FakeHostOptions } from './fake-host.ts';

/**
 * A FakeHost that notices every process the engine's runner starts, and asks git for the CI context
 * the way the CLI host does (so that git counts as a start too), for tests that must prove nothing was
 * started.
 *
 * The seam is the host's environment: runStep builds the ProcessRunner with `baseEnv: host.env`, and
 * the runner lists that environment (childEnvironment) to build the child's, immediately before every
 * start — `run` and the `canRun` probes alike, including the probes that echo no command line. So
 * every listing of `env` here is one process about to be started. Validation only ever reads named
 * variables (`env.HOME`, a `secret-envs` name), which is not a listing.
 */
export class SpawnRecordingHost extends FakeHost {
  readonly #listings: { count: number };
  readonly #redactor = new Redactor();

  constructor(options: FakeHostOptions & { env: Readonly<Record<string, string>> }) {
    const listings = { count: 0 };
    const env = new Proxy(
      { ...options.env },
      {
        ownKeys(target) {
          listings.count++;
          return Reflect.ownKeys(target);
        },
      },
    );
    super({ ...options, env });
    this.#listings = listings;
  }

  /** How many child environments the engine's runners built: one per process they started or probed. */
  get environmentsBuilt(): number {
    return this.#listings.count;
  }

  override setSecret(value: string): void {
    super.setSecret(value);
    this.#redactor.add(value);
  }

  /** As CliHost does: git through a runner over the host's environment, without Slipway's own variables. */
  override async ciContext(): Promise<CiContext> {
    await super.ciContext();
    const runner = new ProcessRunner({
      redactor: this.#redactor,
      log: { command: (line) => this.log.command(line), debug: (message) => this.log.debug(message) },
      baseEnv: this.env,
      withholdEnv: (name) => name.startsWith('SLIPWAY_') || name.startsWith('INPUT_'),
      signal: this.signal,
    });
    return readGitContext(runner, this.workspace);
  }
}

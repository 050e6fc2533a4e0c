/**
 * Decides which of the host's environment variables a child must not inherit whatever their value:
 * the variables that carry Slipway's own inputs. A tool never needs them, and they hold secrets
 * (`INPUT_CLIENT-SECRET` on GitHub, `SLIPWAY_CLIENT_SECRET` on the CLI) that buildah, git or any
 * process they start would otherwise carry around. A child that needs a secret gets it explicitly
 * through RunOptions.env or stdin.
 */
export type WithheldVariable = (name: string) => boolean;

/**
 * Every `INPUT_*` variable (the GitHub runner's and the Azure Pipelines agent's inputs; the task-lib
 * also removes its own from process.env when it loads, with `SECRET_*` and `ENDPOINT_AUTH_*`), and,
 * when the step's input names are given, the CLI's `SLIPWAY_<INPUT>` variables for them. Other
 * `SLIPWAY_*` variables stay: a user may keep a build secret in one for `secret-envs`.
 */
export function inputVariables(inputNames: readonly string[] = []): WithheldVariable {
  const cli = new Set(inputNames.map(cliInputVariable));
  return (name) => name.startsWith('INPUT_') || cli.has(name);
}

/** `client-secret` -> `SLIPWAY_CLIENT_SECRET`: the environment variable the CLI reads an input from. */
export function cliInputVariable(inputName: string): string {
  return `SLIPWAY_${inputName.toUpperCase().replace(/-/g, '_')}`;
}

export interface ChildEnvironmentOptions {
  /** Variables withheld by name (default: {@link inputVariables} without input names: every `INPUT_*`). */
  withhold?: WithheldVariable;
  /** Variables withheld because their value is a known secret (a masked input or token). */
  isSecret?: (value: string) => boolean;
}

/**
 * The environment a child inherits: the host's, without input variables and without any variable
 * whose value is a known secret; undefined entries dropped. Per-run env is layered on top by the caller.
 */
export function childEnvironment(base: Readonly<Record<string, string | undefined>>, options: ChildEnvironmentOptions = {}): Record<string, string> {
  const withhold = options.withhold ?? inputVariables();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    // Only strings: an environment read from JSON (null) or built by hand must not reach the secret check.
    if (typeof value !== 'string' || withhold(name) || options.isSecret?.(value)) continue;
    out[name] = value;
  }
  return out;
}

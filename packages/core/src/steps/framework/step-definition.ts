import type { InputValues, StepSpec } from '../../inputs/index.ts';
import type { ValidationContext } from './validation-context.ts';
import type { StepDeps } from './step-deps.ts';

/** What a step hands back to its host: outputs, a summary, and the whole result for `--json`. */
export interface StepReport {
  /**
   * The step ran to the end, a gate said no (exit 1), or it failed and could not restore a known-good
   * state (exit 4: a release left needing a human), still with outputs and a summary saying what happened.
   */
  outcome: 'succeeded' | 'gate-failed' | 'needs-human';
  /** One line saying why, for a failed gate. */
  reason?: string;
  outputs: Record<string, string>;
  /** Markdown for job summaries. */
  summary: string;
  result: unknown;
  /**
   * Variables for the job's later steps (KUBECONFIG): GitHub's env file, an Azure Pipelines variable; the
   * CLI prints them as `export` lines when they outlive it. Never a secret: hosts write them in clear.
   */
  exportVariables?: Record<string, string>;
}

/**
 * A step: its spec, the one validation of its inputs, and the work. Validation must not change
 * anything, so that bad input always ends with exit 2 and no side effects.
 */
export interface StepDefinition<S extends StepSpec = StepSpec, I = unknown> {
  readonly spec: S;
  validate(values: InputValues<S['inputs']>, context: ValidationContext): I | Promise<I>;
  run(inputs: I, deps: StepDeps): Promise<StepReport>;
  /**
   * The post phase, when the step has one (its spec sets `postPhase`): runs after the job's steps —
   * GitHub `post:` with `post-if: always()`, the Azure Pipelines post-job, the CLI's exit — whether the
   * main phase succeeded, failed or was cancelled, even when it never started its work. It gets no
   * inputs: everything it needs the main phase saved with `deps.state` (read with `deps.state.get`,
   * and expect `undefined` when the main phase stopped early).
   *
   * A failure is a warning and changes no exit code, except one that leaves the environment unclean
   * (a kubeconfig with credentials left on disk, a release left half-deployed): throw a SlipwayError
   * with exit code 4 (ExitCode.needsHuman) for that, and the post phase fails with exit 4.
   */
  post?(deps: StepDeps): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds steps of different input types; each is used only with its own validate's result.
export type AnyStepDefinition = StepDefinition<StepSpec, any>;

/** Helps TypeScript infer the inputs type from `validate`. */
export function defineStep<S extends StepSpec, I>(definition: StepDefinition<S, I>): StepDefinition<S, I> {
  return definition;
}

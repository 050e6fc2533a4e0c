import type { InputValues, StepSpec } from '../../inputs/index.ts';
import type { ValidationContext } from './validation-context.ts';
import type { StepDeps } from './step-deps.ts';

/** What a step hands back to its host: outputs, a summary, and the whole result for `--json`. */
export interface StepReport {
  /** The step ran to the end, or a gate said no (exit 1). */
  outcome: 'succeeded' | 'gate-failed';
  /** One line saying why, for a failed gate. */
  reason?: string;
  outputs: Record<string, string>;
  /** Markdown for job summaries. */
  summary: string;
  result: unknown;
}

/**
 * A step: its spec, the one validation of its inputs, and the work. Validation must not change
 * anything, so that bad input always ends with exit 2 and no side effects.
 */
export interface StepDefinition<S extends StepSpec = StepSpec, I = unknown> {
  readonly spec: S;
  validate(values: InputValues<S['inputs']>, context: ValidationContext): I | Promise<I>;
  run(inputs: I, deps: StepDeps): Promise<StepReport>;
}

export type AnyStepDefinition = StepDefinition<StepSpec, any>;

/** Helps TypeScript infer the inputs type from `validate`. */
export function defineStep<S extends StepSpec, I>(definition: StepDefinition<S, I>): StepDefinition<S, I> {
  return definition;
}

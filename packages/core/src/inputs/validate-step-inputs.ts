import type { StepDefinition } from '../steps/framework/step-definition.ts';
import type { ValidationContext } from '../steps/framework/validation-context.ts';
import type { StepSpec } from './input-spec.ts';
import { InputProblems } from './input-problems.ts';
import { parseInputs, type RawInputReader } from './parse-inputs.ts';

/**
 * Parses and validates a step's inputs, once, before anything is spawned or sent: every parse problem
 * and every validation problem is collected, and if there is any, one InvalidInputsError lists them all
 * (exit 2, nothing changed). A validator that still throws an InputError has it recorded with the rest.
 */
export async function validateStepInputs<S extends StepSpec, I>(
  step: StepDefinition<S, I>,
  read: RawInputReader,
  context: Omit<ValidationContext, 'problems'>,
): Promise<I> {
  const problems = new InputProblems();
  const values = parseInputs(step.spec.inputs, read, problems);
  const inputs = await problems.checkAsync(() => step.validate(values, { ...context, problems }));
  problems.throwIfAny();
  return inputs as I;
}

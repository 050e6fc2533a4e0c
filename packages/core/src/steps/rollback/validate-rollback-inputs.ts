import { validateReleaseTarget } from '../../deploy/validate-release-target.ts';
import type { InputValues } from '../../inputs/index.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import type { RollbackInputs } from './rollback-inputs.ts';
import type { rollbackSpec } from './rollback-spec.ts';

export type RollbackInputValues = InputValues<typeof rollbackSpec.inputs>;

/** Checks the release and its cluster (the kubeconfig is read, nothing is sent). */
export function validateRollbackInputs(values: RollbackInputValues, context: ValidationContext): RollbackInputs {
  return { target: validateReleaseTarget(values, context), revision: values.revision, timeoutMs: values.timeout, maxRestarts: values.maxRestarts };
}

import { defineStep } from '../framework/step-definition.ts';
import type { RollbackInputs } from './rollback-inputs.ts';
import { rollbackSpec } from './rollback-spec.ts';
import { validateRollbackInputs } from './validate-rollback-inputs.ts';

export const rollbackStep = defineStep({
  spec: rollbackSpec,
  validate: validateRollbackInputs,
  run: async (inputs: RollbackInputs, deps) => (await import('./run-rollback.ts')).runRollbackStep(inputs, deps),
  post: async (deps) => (await import('../../deploy/finish-in-post-phase.ts')).finishReleaseInPostPhase(deps),
});

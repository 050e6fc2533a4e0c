import { defineStep } from '../framework/step-definition.ts';
import type { PushInputs } from './push-inputs.ts';
import { pushSpec } from './push-spec.ts';
import { validatePushInputs } from './validate-push-inputs.ts';

export const pushStep = defineStep({
  spec: pushSpec,
  validate: validatePushInputs,
  // Loaded on first run: run-push pulls in @azure/identity and @azure/container-registry, which help,
  // metadata generation and input validation never need.
  run: async (inputs: PushInputs, deps) => (await import('./run-push.ts')).runPushStep(inputs, deps),
});

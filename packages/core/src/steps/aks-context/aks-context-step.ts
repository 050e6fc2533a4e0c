import { defineStep } from '../framework/step-definition.ts';
import type { AksContextInputs } from './aks-context-inputs.ts';
import { aksContextSpec } from './aks-context-spec.ts';
import { removeAksContext } from './remove-aks-context.ts';
import { validateAksContextInputs } from './validate-aks-context-inputs.ts';

export const aksContextStep = defineStep({
  spec: aksContextSpec,
  validate: validateAksContextInputs,
  // Loaded on first run: run-aks-context pulls in @azure/identity, @azure/arm-containerservice and
  // @kubernetes/client-node, which help, metadata generation, input validation and the post phase never need.
  run: async (inputs: AksContextInputs, deps) => (await import('./run-aks-context.ts')).runAksContextStep(inputs, deps),
  post: removeAksContext,
});

import { defineStep } from '../framework/step-definition.ts';
import type { SmokeInputs } from './smoke-inputs.ts';
import { smokeSpec } from './smoke-spec.ts';
import { validateSmokeInputs } from './validate-smoke-inputs.ts';

export const smokeStep = defineStep({
  spec: smokeSpec,
  validate: validateSmokeInputs,
  // Loaded on first run: the Kubernetes client and Helm are for service targets and helm test only.
  run: async (inputs: SmokeInputs, deps) => (await import('./run-smoke.ts')).runSmokeStep(inputs, deps),
});

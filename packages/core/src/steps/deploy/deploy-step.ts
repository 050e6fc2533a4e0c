import { defineStep } from '../framework/step-definition.ts';
import type { DeployInputs } from './deploy-inputs.ts';
import { deploySpec } from './deploy-spec.ts';
import { validateDeployInputs } from './validate-deploy-inputs.ts';

export const deployStep = defineStep({
  spec: deploySpec,
  validate: validateDeployInputs,
  // Loaded on first run: Helm, Trivy and @kubernetes/client-node are for deploys only.
  run: async (inputs: DeployInputs, deps) => (await import('./run-deploy.ts')).runDeployStep(inputs, deps),
  post: async (deps) => (await import('../../deploy/finish-in-post-phase.ts')).finishReleaseInPostPhase(deps),
});

import { defineStep } from '../framework/step-definition.ts';
import { runSpec } from './run-spec.ts';
import { type RunInputs, validateRunInputs } from './validate-run-inputs.ts';

export const runStep = defineStep({
  spec: runSpec,
  validate: validateRunInputs,
  // Loaded on first run; each stage's step loads its own run code when it starts.
  run: async (inputs: RunInputs, deps) => (await import('./run-pipeline.ts')).runPipeline(inputs, deps),
  // What a stage left for after the job: a release to finish or roll back first, then the kubeconfig to remove.
  post: async (deps) => {
    const { steps } = await import('../registry.ts');
    try {
      await steps.deploy?.post?.(deps);
    } finally {
      await steps['aks-context']?.post?.(deps);
    }
  },
});

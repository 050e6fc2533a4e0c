import { aksContextStep } from './aks-context/aks-context-step.ts';
import { buildStep } from './build/build-step.ts';
import { deployStep } from './deploy/deploy-step.ts';
import { pushStep } from './push/push-step.ts';
import { rollbackStep } from './rollback/rollback-step.ts';
import { runStep } from './run/run-step.ts';
import { scanStep } from './scan/scan-step.ts';
import { smokeStep } from './smoke/smoke-step.ts';
import type { AnyStepDefinition } from './framework/step-definition.ts';

/**
 * Every step Slipway has, by id. Hosts, the CLI and the metadata generator all read this one list.
 * Importing it loads each step's spec and validation only: a step's run code is a dynamic import
 * inside its `run`, so help, metadata and input errors never load the Azure SDKs or the tool adapters.
 */
export const steps: Readonly<Record<string, AnyStepDefinition>> = {
  build: buildStep,
  scan: scanStep,
  push: pushStep,
  'aks-context': aksContextStep,
  deploy: deployStep,
  rollback: rollbackStep,
  smoke: smokeStep,
  run: runStep,
};

/** Steps added with {@link registerStep}: found by id, but never part of `steps` (no metadata, no help). */
const registered = new Map<string, AnyStepDefinition>();

/**
 * Test seam: makes a step that is not one of Slipway's own findable by every host's entry, so host
 * contract tests can bundle a fixture step (one with a post phase, say) and run it exactly as the
 * runner, the agent and the CLI run a real one. An id that is taken is refused.
 */
export function registerStep(definition: AnyStepDefinition): void {
  const id = definition.spec.id;
  if (Object.hasOwn(steps, id) || registered.has(id)) throw new Error(`a step '${id}' is already registered`);
  registered.set(id, definition);
}

export function findStep(id: string): AnyStepDefinition | undefined {
  return Object.hasOwn(steps, id) ? steps[id] : registered.get(id);
}

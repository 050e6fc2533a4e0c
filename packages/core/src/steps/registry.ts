import { buildStep } from './build/build-step.ts';
import { pushStep } from './push/push-step.ts';
import { scanStep } from './scan/scan-step.ts';
import type { AnyStepDefinition } from './framework/step-definition.ts';

/** Every step Slipway has, by id. Hosts, the CLI and the metadata generator all read this one list. */
export const steps: Readonly<Record<string, AnyStepDefinition>> = {
  build: buildStep,
  scan: scanStep,
  push: pushStep,
};

export function findStep(id: string): AnyStepDefinition | undefined {
  return Object.hasOwn(steps, id) ? steps[id] : undefined;
}

import * as tl from 'azure-pipelines-task-lib/task';
import { findStep, runStep } from '@slipway/core';
import { AzurePipelinesHost } from './azure-pipelines-host.ts';

export { AzurePipelinesHost };

const resultMessages: Record<number, string> = {
  1: 'a gate failed',
  2: 'invalid input: nothing was changed',
  3: 'environment or infrastructure error',
  4: 'failed and could not restore a known-good state: a human must look',
};

/** Entry of every Slipway task: `runAzurePipelinesTask('build')`. */
export async function runAzurePipelinesTask(stepId: string): Promise<number> {
  const secretInputs = findStep(stepId)?.spec.inputs.filter((input) => input.secret).map((input) => input.name) ?? [];
  const host = new AzurePipelinesHost(secretInputs);
  const outcome = await runStep(host, stepId);
  if (outcome.exitCode === 0) tl.setResult(tl.TaskResult.Succeeded, '');
  else tl.setResult(tl.TaskResult.Failed, `slipway ${stepId}: ${resultMessages[outcome.exitCode] ?? 'failed'} (exit ${outcome.exitCode})`);
  process.exitCode = outcome.exitCode;
  return outcome.exitCode;
}

import * as tl from 'azure-pipelines-task-lib/task';
import { exitCodeMeanings, findStep, runStep, type ExitCodeValue, type StepPhase } from '@slipway/core';
import { AzurePipelinesHost } from './azure-pipelines-host.ts';

export { AzurePipelinesHost };

/**
 * Entry of every Slipway task: `runAzurePipelinesTask('build')` and, for a step with a post phase, the
 * task.json `postjobexecution` handler's `runAzurePipelinesTask('<id>', 'post')`, which the agent runs
 * after the job's steps with the task variables the main phase set. A post phase whose cleanup failed
 * without leaving anything behind ends SucceededWithIssues (its warning says why); one that left the
 * environment unclean ends Failed with exit 4.
 */
export async function runAzurePipelinesTask(stepId: string, phase: StepPhase = 'main'): Promise<number> {
  const secretInputs =
    findStep(stepId)
      ?.spec.inputs.filter((input) => input.secret)
      .map((input) => input.name) ?? [];
  const host = new AzurePipelinesHost(secretInputs);
  const outcome = await runStep(host, stepId, phase);
  const what = phase === 'post' ? `slipway ${stepId} (post-job)` : `slipway ${stepId}`;
  if (outcome.exitCode === 0 && outcome.warning) tl.setResult(tl.TaskResult.SucceededWithIssues, `${what}: cleanup did not finish; see the warning above`);
  else if (outcome.exitCode === 0) tl.setResult(tl.TaskResult.Succeeded, '');
  else tl.setResult(tl.TaskResult.Failed, `${what}: ${exitCodeMeanings[outcome.exitCode as ExitCodeValue]?.meaning ?? 'failed'} (exit ${outcome.exitCode})`);
  process.exitCode = outcome.exitCode;
  return outcome.exitCode;
}

import { runStep, type StepPhase } from '@slipway/core';
import { GitHubHost } from './github-host.ts';

export { GitHubHost };

/**
 * Entry of every Slipway action: `await runGitHubAction('build')` in main.mjs and, for a step with a
 * post phase, `await runGitHubAction('<id>', 'post')` in post.mjs (action.yml: `post-if: always()`).
 * The runner starts the post phase as a new process with the state the main phase saved as STATE_*
 * variables. The exit code is the shared one (0 ok, 1 gate failed, 2 invalid input, 3 environment,
 * 4 needs a human); a post phase ends 0, or 4 when it left the environment unclean.
 */
export async function runGitHubAction(stepId: string, phase: StepPhase = 'main'): Promise<number> {
  const host = new GitHubHost();
  const outcome = await runStep(host, stepId, phase);
  process.exitCode = outcome.exitCode;
  return outcome.exitCode;
}

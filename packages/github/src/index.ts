import { runStep } from '@slipway/core';
import { GitHubHost } from './github-host.ts';

export { GitHubHost };

/**
 * Entry of every Slipway action: `await runGitHubAction('build')`. The exit code is the shared one
 * (0 ok, 1 gate failed, 2 invalid input, 3 environment, 4 needs a human).
 */
export async function runGitHubAction(stepId: string): Promise<number> {
  const host = new GitHubHost();
  const outcome = await runStep(host, stepId);
  process.exitCode = outcome.exitCode;
  return outcome.exitCode;
}

import type { ProcessRunner } from '../exec/index.ts';
import type { CiContext } from './ci-context.ts';
import { normaliseRemoteUrl } from './ci-context-from-env.ts';

/**
 * For local runs: asks git itself. Every fact is optional; outside a repository the context is empty
 * and tag rules simply produce nothing.
 */
export async function readGitContext(runner: ProcessRunner, cwd: string): Promise<CiContext> {
  const git = async (...args: string[]): Promise<string | undefined> => {
    try {
      const { stdout } = await runner.run('git', args, { cwd, timeoutMs: 10_000 });
      return stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const [sha, branch, tag, remote, commitTime] = await Promise.all([
    git('rev-parse', 'HEAD'),
    git('symbolic-ref', '--quiet', '--short', 'HEAD'),
    git('describe', '--tags', '--exact-match', 'HEAD'),
    git('config', '--get', 'remote.origin.url'),
    git('log', '-1', '--format=%cI'),
  ]);
  const context: CiContext = {};
  if (sha) context.sha = sha;
  if (branch) context.branch = branch;
  if (tag) context.tag = tag;
  const repositoryUrl = remote ? normaliseRemoteUrl(remote) : undefined;
  if (repositoryUrl) context.repositoryUrl = repositoryUrl;
  if (commitTime) context.commitTime = commitTime;
  return context;
}

import type { CiContext } from './ci-context.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Splits a full git ref into branch / tag / pull request. */
export function parseGitRef(ref: string | undefined): Pick<CiContext, 'branch' | 'tag' | 'pullRequest'> {
  if (!ref) return {};
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  const pr = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(ref);
  if (pr) return { pullRequest: Number(pr[1]) };
  return {};
}

/**
 * GitHub Actions: GITHUB_SHA is the merge commit on pull_request events, so the PR head comes from the
 * event payload (docker/metadata-action#206). `event` is the parsed GITHUB_EVENT_PATH file, if any.
 */
export function ciContextFromGitHub(env: Env, event: unknown): CiContext {
  const payload = isRecord(event) ? event : {};
  const pullRequest = isRecord(payload.pull_request) ? payload.pull_request : undefined;
  const head = pullRequest && isRecord(pullRequest.head) ? pullRequest.head : undefined;
  const repository = isRecord(payload.repository) ? payload.repository : undefined;
  const fromRef = parseGitRef(env.GITHUB_REF);
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const context: CiContext = {
    sha: typeof head?.sha === 'string' ? head.sha : env.GITHUB_SHA,
    ...fromRef,
    repositoryUrl: env.GITHUB_REPOSITORY ? `${server}/${env.GITHUB_REPOSITORY}` : undefined,
    defaultBranch: typeof repository?.default_branch === 'string' ? repository.default_branch : undefined,
  };
  if (pullRequest) {
    if (typeof pullRequest.number === 'number') context.pullRequest = pullRequest.number;
    context.branch = env.GITHUB_HEAD_REF || context.branch;
  }
  return withoutUndefined(context);
}

/**
 * Azure Pipelines predefined variables. For PR validation builds Build.SourceVersion is the merge
 * commit; System.PullRequest.SourceCommitId is the head.
 */
export function ciContextFromAzurePipelines(env: Env): CiContext {
  const fromRef = parseGitRef(env.BUILD_SOURCEBRANCH);
  const prNumber = env.SYSTEM_PULLREQUEST_PULLREQUESTNUMBER || env.SYSTEM_PULLREQUEST_PULLREQUESTID;
  const context: CiContext = {
    sha: env.BUILD_SOURCEVERSION,
    ...fromRef,
    repositoryUrl: env.BUILD_REPOSITORY_URI,
  };
  if (prNumber && /^\d+$/.test(prNumber)) {
    context.pullRequest = Number(prNumber);
    context.sha = env.SYSTEM_PULLREQUEST_SOURCECOMMITID || context.sha;
    const source = env.SYSTEM_PULLREQUEST_SOURCEBRANCH;
    if (source) context.branch = source.replace(/^refs\/heads\//, '');
  }
  return withoutUndefined(context);
}

/** `git@github.com:org/repo.git` or `https://user:token@host/org/repo.git` -> `https://host/org/repo`. */
export function normaliseRemoteUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(?:\.git)?$/.exec(remote);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  try {
    const url = new URL(remote);
    if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'ssh:') return undefined;
    // Credentials in a remote URL must never end up in an image label.
    return `https://${url.hostname}${url.pathname.replace(/\.git$/, '')}`;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}

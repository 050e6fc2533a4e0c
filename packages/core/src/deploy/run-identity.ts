import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { HostKind } from '../inputs/index.ts';

/** Which run holds a release or wrote its journal, in words a person can follow up. */
export interface RunIdentity {
  /** Unique per step run: the host's run id with a random suffix (two steps of one job differ). */
  id: string;
  host: HostKind;
  /** The CI run's web page, when the host has one. */
  url?: string | undefined;
  machine: string;
}

/**
 * The identity of this run, from the variables GitHub Actions and Azure Pipelines set for every job
 * (documented defaults: GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT;
 * SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_BUILDID). Nothing secret is read.
 */
export function describeRun(host: HostKind, env: Readonly<Record<string, string | undefined>>): RunIdentity {
  const suffix = randomBytes(4).toString('hex');
  const machine = os.hostname();
  if (host === 'github' && env.GITHUB_RUN_ID) {
    const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
    const url =
      env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${attempt}`
        : undefined;
    return { id: `github-${env.GITHUB_RUN_ID}-${attempt}-${suffix}`, host, url, machine };
  }
  if (host === 'azure-pipelines' && env.BUILD_BUILDID) {
    const collection = env.SYSTEM_COLLECTIONURI?.replace(/\/?$/, '/');
    const url =
      collection && env.SYSTEM_TEAMPROJECT
        ? `${collection}${encodeURIComponent(env.SYSTEM_TEAMPROJECT)}/_build/results?buildId=${env.BUILD_BUILDID}`
        : undefined;
    return { id: `azure-pipelines-${env.BUILD_BUILDID}-${suffix}`, host, url, machine };
  }
  return { id: `${host}-${process.pid}-${suffix}`, host, machine };
}

/** `https://…/runs/1 on runner-7` or `cli-123-ab12 on laptop`, for messages. */
export function formatRun(run: Pick<RunIdentity, 'id' | 'url' | 'machine'>): string {
  return `${run.url ?? run.id} on ${run.machine}`;
}

import { describe, expect, it } from 'vitest';
import { ciContextFromAzurePipelines, ciContextFromGitHub, normaliseRemoteUrl, parseGitRef } from '@slipway/core';

describe('ciContextFromGitHub', () => {
  it('uses the PR head sha from the event payload, not the merge commit in GITHUB_SHA', () => {
    const context = ciContextFromGitHub(
      { GITHUB_SHA: 'merge000', GITHUB_REF: 'refs/pull/7/merge', GITHUB_HEAD_REF: 'feature/a', GITHUB_REPOSITORY: 'o/r' },
      { pull_request: { number: 7, head: { sha: 'head111' } }, repository: { default_branch: 'main' } },
    );
    expect(context).toEqual({
      sha: 'head111',
      pullRequest: 7,
      branch: 'feature/a',
      repositoryUrl: 'https://github.com/o/r',
      defaultBranch: 'main',
    });
  });

  it('reads a tag push', () => {
    expect(ciContextFromGitHub({ GITHUB_SHA: 'abc', GITHUB_REF: 'refs/tags/v1.2.3' }, undefined)).toEqual({ sha: 'abc', tag: 'v1.2.3' });
  });
});

describe('ciContextFromAzurePipelines', () => {
  it('uses System.PullRequest.SourceCommitId on PR validation builds', () => {
    const context = ciContextFromAzurePipelines({
      BUILD_SOURCEVERSION: 'merge000',
      BUILD_SOURCEBRANCH: 'refs/pull/9/merge',
      SYSTEM_PULLREQUEST_PULLREQUESTID: '9',
      SYSTEM_PULLREQUEST_SOURCECOMMITID: 'head111',
      SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/feature/b',
      BUILD_REPOSITORY_URI: 'https://dev.azure.com/org/p/_git/r',
    });
    expect(context).toEqual({ sha: 'head111', pullRequest: 9, branch: 'feature/b', repositoryUrl: 'https://dev.azure.com/org/p/_git/r' });
  });

  it('reads a branch build', () => {
    expect(ciContextFromAzurePipelines({ BUILD_SOURCEVERSION: 'abc', BUILD_SOURCEBRANCH: 'refs/heads/main' })).toEqual({ sha: 'abc', branch: 'main' });
  });
});

describe('parseGitRef and normaliseRemoteUrl', () => {
  it.each([
    ['refs/heads/a/b', { branch: 'a/b' }],
    ['refs/tags/v1', { tag: 'v1' }],
    ['refs/pull/3/head', { pullRequest: 3 }],
    ['weird', {}],
  ])('%s', (ref, expected) => expect(parseGitRef(ref)).toEqual(expected));

  it.each([
    ['git@github.com:org/repo.git', 'https://github.com/org/repo'],
    ['https://user:token123@example.com/org/repo.git', 'https://example.com/org/repo'],
    ['file:///tmp/repo', undefined],
  ])('%s -> %s (credentials never kept)', (remote, expected) => expect(normaliseRemoteUrl(remote)).toBe(expected));
});

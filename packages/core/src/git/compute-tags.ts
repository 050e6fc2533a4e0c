import type { CiContext } from './ci-context.ts';

/** Which tags to derive from source control (docker/metadata-action's most used rules). */
export const tagRules = ['sha', 'branch', 'semver', 'pr', 'latest'] as const;
export type TagRule = (typeof tagRules)[number];

const semverPattern = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/**
 * Tags for an image from the CI context and the chosen rules, literal tags first, duplicates removed,
 * order stable so the first tag is the "primary" one users see in summaries.
 *
 * - `sha`: `sha-<7 hex>` of the commit; on a PR the head commit, not the merge commit
 *   (docker/metadata-action#206, #414 are about exactly this surprise).
 * - `branch`: the branch name made tag-safe; not on pull requests (use `pr`).
 * - `semver`: a `v1.2.3` git tag gives `1.2.3`, `1.2`, `1`; a pre-release gives only itself.
 * - `pr`: `pr-<number>`.
 * - `latest`: `latest` for a non-pre-release semver tag.
 */
export function computeTags(context: CiContext, rules: readonly TagRule[], literal: readonly string[] = []): string[] {
  const tags: string[] = [...literal];
  const isPullRequest = context.pullRequest !== undefined;
  const version = context.tag ? parseSemver(context.tag) : undefined;
  for (const rule of rules) {
    switch (rule) {
      case 'sha':
        if (context.sha) tags.push(`sha-${context.sha.slice(0, 7)}`);
        break;
      case 'branch':
        if (context.branch && !isPullRequest) {
          const tag = sanitizeTag(context.branch);
          if (tag) tags.push(tag);
        }
        break;
      case 'semver':
        if (version) {
          if (version.prerelease) tags.push(version.full);
          else tags.push(version.full, `${version.major}.${version.minor}`, version.major);
        }
        break;
      case 'pr':
        if (isPullRequest) tags.push(`pr-${context.pullRequest}`);
        break;
      case 'latest':
        if (version && !version.prerelease) tags.push('latest');
        break;
    }
  }
  return [...new Set(tags)];
}

interface Semver {
  major: string;
  minor: string;
  /** `1.2.3` or `1.2.3-rc.1` (build metadata turned into `-`, since `+` is not allowed in tags). */
  full: string;
  prerelease: boolean;
}

function parseSemver(tag: string): Semver | undefined {
  const match = semverPattern.exec(tag);
  if (!match) return undefined;
  const [, major = '', minor = '', patch = '', pre, build] = match;
  const core = `${major}.${minor}.${patch}`;
  const full = `${core}${pre ? `-${pre}` : ''}${build ? `-${build}` : ''}`;
  return { major, minor, full, prerelease: pre !== undefined };
}

/** Makes a branch name a valid OCI tag: `feature/Login_v2` -> `feature-Login_v2`. */
export function sanitizeTag(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '');
}

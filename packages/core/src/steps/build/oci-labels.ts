import type { CiContext } from '../../git/ci-context.ts';

/**
 * org.opencontainers.image.* annotations (image-spec annotations.md) from git; user labels win.
 * `created` uses the commit time when known so rebuilding a commit yields the same labels.
 */
export function computeOciLabels(
  ci: CiContext,
  image: { name: string; tags: readonly string[] },
  now: Date,
  userLabels: Readonly<Record<string, string>>,
): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.created': ci.commitTime ? new Date(ci.commitTime).toISOString() : now.toISOString(),
    'org.opencontainers.image.title': image.name.split('/').pop() ?? image.name,
  };
  if (ci.repositoryUrl) {
    labels['org.opencontainers.image.source'] = ci.repositoryUrl;
    labels['org.opencontainers.image.url'] = ci.repositoryUrl;
  }
  if (ci.sha) labels['org.opencontainers.image.revision'] = ci.sha;
  const version = image.tags.find((tag) => /^\d+\.\d+\.\d+/.test(tag)) ?? image.tags[0];
  if (version) labels['org.opencontainers.image.version'] = version;
  return { ...labels, ...userLabels };
}

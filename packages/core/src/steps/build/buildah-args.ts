import type { BuildPlan } from './build-plan.ts';

/**
 * `buildah build` argv. Layer caching is on so repeated builds reuse stages (buildah's default is one
 * squashed layer); `--cache-from/--cache-to` take repositories, so buildx-style `type=registry,ref=X`
 * values are reduced to X.
 */
export function buildBuildahBuildArgs(plan: BuildPlan): string[] {
  const args = ['build', '--file', plan.file, '--layers'];
  if (plan.target) args.push('--target', plan.target);
  for (const [key, value] of Object.entries(plan.buildArgs)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of Object.entries(plan.labels)) args.push('--label', `${key}=${value}`);
  for (const secret of plan.secrets) {
    args.push('--secret', secret.kind === 'file' ? `id=${secret.id},src=${secret.path}` : `id=${secret.id},env=${secret.env}`);
  }
  if (plan.platforms.length > 0) args.push('--platform', plan.platforms.join(','));
  for (const source of plan.cacheFrom) args.push('--cache-from', buildahCacheRepository(source));
  for (const destination of plan.cacheTo) args.push('--cache-to', buildahCacheRepository(destination));
  if (plan.noCache) args.push('--no-cache');
  // Several platforms produce a manifest list, which buildah keeps under --manifest rather than a tag.
  if (plan.platforms.length > 1) args.push('--manifest', plan.references[0] ?? plan.name);
  else for (const reference of plan.references) args.push('--tag', reference);
  args.push('--iidfile', plan.metadataFile, plan.context);
  return args;
}

/** `buildah push` (or `manifest push --all`) of the built image into an OCI layout directory. */
export function buildBuildahPushArgs(plan: BuildPlan, imageId: string, digestFile: string): string[] {
  const destination = `oci:${plan.layoutDir}:${plan.layoutRef}`;
  if (plan.platforms.length > 1) {
    return ['manifest', 'push', '--all', '--digestfile', digestFile, plan.references[0] ?? plan.name, destination];
  }
  return ['push', '--digestfile', digestFile, imageId, destination];
}

function buildahCacheRepository(value: string): string {
  if (!value.includes('=')) return value;
  const fields = Object.fromEntries(value.split(',').map((pair) => pair.split('=', 2) as [string, string]));
  return fields.ref ?? value;
}

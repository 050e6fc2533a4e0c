import type { BuildPlan } from './build-plan.ts';
import { buildCommonBuildFlags } from './build-common-flags.ts';

/**
 * `buildah build` argv. Layer caching is on so repeated builds reuse stages (buildah's default is one
 * squashed layer); `--cache-from/--cache-to` take repositories, so buildx-style `type=registry,ref=X`
 * values are reduced to X.
 */
export function buildBuildahBuildArgs(plan: BuildPlan): string[] {
  const multiPlatform = plan.platforms.length > 1;
  // Layer caching only for single-platform builds: buildah 1.28's cache matches a stage built for another
  // platform, and the manifest list then holds one image under two platforms (seen in our tests).
  const args = ['build', '--file', plan.file, ...(multiPlatform ? [] : ['--layers'])];
  args.push(...buildCommonBuildFlags(plan));
  for (const source of plan.cacheFrom) args.push('--cache-from', buildahCacheRepository(source));
  for (const destination of plan.cacheTo) args.push('--cache-to', buildahCacheRepository(destination));
  if (plan.noCache) args.push('--no-cache');
  // Several platforms produce a manifest list, which buildah keeps under --manifest rather than a tag
  // (and --iidfile refuses to name several images).
  if (multiPlatform) args.push('--manifest', plan.references[0] ?? plan.name);
  else args.push(...plan.references.flatMap((reference) => ['--tag', reference]), '--iidfile', plan.metadataFile);
  args.push(plan.context);
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

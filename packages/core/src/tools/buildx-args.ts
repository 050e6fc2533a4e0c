import type { BuildPlan } from './build-plan.ts';
import { isVersionAtLeast, type ToolVersion } from './tool-version.ts';
import { buildCommonBuildFlags } from './build-common-flags.ts';

/** What the installed buildx understands, where that changed between versions. */
export interface BuildxFlags {
  /** `--provenance` exists from buildx 0.10.0; older versions reject it as an unknown flag. */
  readonly provenance: boolean;
}

/** The flags of the newest buildx: what the argv builder assumes unless told otherwise. */
export const currentBuildxFlags: BuildxFlags = { provenance: true };

export function buildxFlagsFor(version: ToolVersion): BuildxFlags {
  return { provenance: isVersionAtLeast(version, '0.10.0') };
}

/**
 * `docker buildx build` argv writing an OCI layout directory. Provenance attestations are off because
 * they turn single-platform images into indexes that ACR jobs and older consumers reject
 * (docker/build-push-action#755, #778); buildx before 0.10 makes none and has no flag for it.
 */
export function buildBuildxBuildArgs(plan: BuildPlan, flags: BuildxFlags = currentBuildxFlags): string[] {
  const args = ['buildx', 'build', '--file', plan.file, ...(flags.provenance ? ['--provenance=false'] : [])];
  args.push(...buildCommonBuildFlags(plan));
  for (const source of plan.cacheFrom) args.push('--cache-from', source);
  for (const destination of plan.cacheTo) args.push('--cache-to', destination);
  if (plan.noCache) args.push('--no-cache');
  for (const reference of plan.references) args.push('--tag', reference);
  args.push(
    '--output',
    `type=oci,dest=${plan.layoutDir},tar=false,name=${plan.references[0] ?? plan.name}`,
    '--metadata-file',
    plan.metadataFile,
    plan.context,
  );
  return args;
}

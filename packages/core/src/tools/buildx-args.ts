import type { BuildPlan } from './build-plan.ts';
import { isVersionAtLeast, type ToolVersion } from './tool-version.ts';

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
  if (plan.target) args.push('--target', plan.target);
  for (const [key, value] of Object.entries(plan.buildArgs)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of Object.entries(plan.labels)) args.push('--label', `${key}=${value}`);
  for (const secret of plan.secrets) {
    args.push('--secret', secret.kind === 'file' ? `id=${secret.id},src=${secret.path}` : `id=${secret.id},env=${secret.env}`);
  }
  if (plan.platforms.length > 0) args.push('--platform', plan.platforms.join(','));
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

import type { BuildPlan } from './build-plan.ts';

/**
 * `docker buildx build` argv writing an OCI layout directory. Provenance attestations are off because
 * they turn single-platform images into indexes that ACR jobs and older consumers reject
 * (docker/build-push-action#755, #778).
 */
export function buildBuildxBuildArgs(plan: BuildPlan): string[] {
  const args = ['buildx', 'build', '--file', plan.file, '--provenance=false'];
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

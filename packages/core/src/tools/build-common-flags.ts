import type { BuildPlan } from './build-plan.ts';

/**
 * The flags buildah and docker buildx spell the same way (both follow `docker build`): target stage,
 * build args, labels, secrets and platforms. Each builder adds its own flags around these.
 */
export function buildCommonBuildFlags(plan: BuildPlan): string[] {
  const args: string[] = [];
  if (plan.target) args.push('--target', plan.target);
  for (const [key, value] of Object.entries(plan.buildArgs)) args.push('--build-arg', `${key}=${value}`);
  for (const [key, value] of Object.entries(plan.labels)) args.push('--label', `${key}=${value}`);
  for (const secret of plan.secrets) {
    args.push('--secret', secret.kind === 'file' ? `id=${secret.id},src=${secret.path}` : `id=${secret.id},env=${secret.env}`);
  }
  if (plan.platforms.length > 0) args.push('--platform', plan.platforms.join(','));
  return args;
}

import { ContainerRegistryClient } from '@azure/container-registry';
import type { TokenCredential } from '@azure/identity';
import { withRegistryErrors, type RegistryTarget } from './acr-push.ts';
import { planRetention, type ListedManifest, type RetentionPlan, type RetentionRules } from './retention-plan.ts';

export interface RetentionOptions extends RetentionRules {
  target: RegistryTarget;
  credential: TokenCredential;
  dryRun: boolean;
  log: { info(message: string): void };
  signal?: AbortSignal;
}

/**
 * Applies retention to one ACR repository: lists its manifests with ACR's /acr/v1 API
 * (ContainerRegistryClient), decides with planRetention, and deletes (or, in a dry run, only logs) what
 * the plan says.
 */
export async function applyRetention(options: RetentionOptions): Promise<RetentionPlan> {
  const client = new ContainerRegistryClient(options.target.endpoint, options.credential, { audience: options.target.audience });
  const repository = client.getRepository(options.target.repository);
  const manifests: ListedManifest[] = [];
  await withRegistryErrors(
    `listing ${options.target.repository}`,
    async () => {
      for await (const manifest of repository.listManifestProperties({ order: 'LastUpdatedOnDescending', abortSignal: options.signal })) {
        manifests.push({ digest: manifest.digest, tags: [...manifest.tags], updatedAt: manifest.lastUpdatedOn.getTime() });
      }
    },
    undefined,
  );

  const plan = planRetention(manifests, options);
  for (const entry of plan.deleted) {
    if (options.dryRun) {
      options.log.info(`retention (dry run): would delete ${options.target.repository}@${entry.digest} (${entry.tags.join(', ')})`);
    } else {
      options.log.info(`retention: deleting ${options.target.repository}@${entry.digest} (${entry.tags.join(', ')})`);
      await withRegistryErrors(`deleting ${entry.digest}`, () => repository.getArtifact(entry.digest).delete({ abortSignal: options.signal }), undefined);
    }
  }
  return plan;
}

import { ContainerRegistryClient } from '@azure/container-registry';
import type { TokenCredential } from '@azure/identity';
import { withRegistryErrors, type RegistryTarget } from './acr-push.ts';

export interface RetentionOptions {
  target: RegistryTarget;
  credential: TokenCredential;
  /** Newest tags (matching `pattern`) to keep. */
  keep: number;
  pattern: RegExp;
  /** Digests never deleted whatever their tags (the image just pushed). */
  protect: readonly string[];
  dryRun: boolean;
  log: { info(message: string): void };
  signal?: AbortSignal;
}

export interface RetentionPlan {
  kept: string[];
  /** Digests deleted (or that would be, in a dry run), with the tags they carried. */
  deleted: Array<{ digest: string; tags: string[] }>;
}

/**
 * Keeps the newest `keep` tags that match `pattern` and deletes the manifests that only carry older
 * matching tags. A manifest that any kept tag, any non-matching tag, or `protect` points at is never
 * deleted, so retention cannot take an image out from under a tag someone still uses. Uses ACR's
 * /acr/v1 manifest listing (ContainerRegistryClient), newest first.
 */
export async function applyRetention(options: RetentionOptions): Promise<RetentionPlan> {
  const client = new ContainerRegistryClient(options.target.endpoint, options.credential, { audience: options.target.audience });
  const repository = client.getRepository(options.target.repository);
  const manifests: Array<{ digest: string; tags: string[]; updated: number }> = [];
  await withRegistryErrors(`listing ${options.target.repository}`, async () => {
    for await (const manifest of repository.listManifestProperties({ order: 'LastUpdatedOnDescending', abortSignal: options.signal })) {
      manifests.push({ digest: manifest.digest, tags: [...manifest.tags], updated: manifest.lastUpdatedOn.getTime() });
    }
  }, undefined);
  // Stable newest-first order even when the registry's timestamps tie.
  manifests.sort((a, b) => b.updated - a.updated);
  const matching = manifests.flatMap((manifest) => manifest.tags.filter((tag) => options.pattern.test(tag)).map((tag) => ({ tag, digest: manifest.digest })));
  const kept = matching.slice(0, options.keep);
  const protectedDigests = new Set([...options.protect, ...kept.map((entry) => entry.digest)]);
  for (const manifest of manifests) if (manifest.tags.some((tag) => !options.pattern.test(tag))) protectedDigests.add(manifest.digest);

  const deleted = manifests.filter((manifest) => manifest.tags.length > 0 && !protectedDigests.has(manifest.digest)).map(({ digest, tags }) => ({ digest, tags }));
  for (const entry of deleted) {
    if (options.dryRun) {
      options.log.info(`retention (dry run): would delete ${options.target.repository}@${entry.digest} (${entry.tags.join(', ')})`);
    } else {
      options.log.info(`retention: deleting ${options.target.repository}@${entry.digest} (${entry.tags.join(', ')})`);
      await withRegistryErrors(`deleting ${entry.digest}`, () => repository.getArtifact(entry.digest).delete({ abortSignal: options.signal }), undefined);
    }
  }
  return { kept: kept.map((entry) => entry.tag), deleted };
}

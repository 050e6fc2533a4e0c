/** One manifest of a repository as the registry lists it. */
export interface ListedManifest {
  readonly digest: string;
  readonly tags: readonly string[];
  /** Last update, ms since the epoch. */
  readonly updatedAt: number;
}

export interface RetentionRules {
  /** Newest tags (matching `pattern`) to keep. */
  readonly keep: number;
  readonly pattern: RegExp;
  /** Digests never deleted whatever their tags (the image just pushed). */
  readonly protect: readonly string[];
}

export interface RetentionPlan {
  /** Tags kept, newest first. */
  kept: string[];
  /** Digests deleted (or that would be, in a dry run), with the tags they carried. */
  deleted: Array<{ digest: string; tags: string[] }>;
}

/**
 * Keeps the newest `keep` tags that match `pattern` and deletes the manifests that only carry older
 * matching tags. A manifest that any kept tag, any non-matching tag, or `protect` points at is never
 * deleted, nor is an untagged one (it may be a child of an index), so retention cannot take an image out
 * from under a tag someone still uses. Pure: the registry calls are the caller's.
 */
export function planRetention(manifests: readonly ListedManifest[], rules: RetentionRules): RetentionPlan {
  const matches = (tag: string) => {
    // A global or sticky pattern would carry lastIndex from one test to the next.
    rules.pattern.lastIndex = 0;
    return rules.pattern.test(tag);
  };
  // Newest first; Array.prototype.sort is stable, so timestamps that tie keep the registry's order.
  const newestFirst = [...manifests].sort((a, b) => b.updatedAt - a.updatedAt);
  const matching = newestFirst.flatMap((manifest) => manifest.tags.filter(matches).map((tag) => ({ tag, digest: manifest.digest })));
  const kept = matching.slice(0, Math.max(0, rules.keep));
  const spared = new Set([...rules.protect, ...kept.map((entry) => entry.digest)]);
  for (const manifest of newestFirst) if (manifest.tags.some((tag) => !matches(tag))) spared.add(manifest.digest);
  return {
    kept: kept.map((entry) => entry.tag),
    deleted: newestFirst
      .filter((manifest) => manifest.tags.length > 0 && !spared.has(manifest.digest))
      .map(({ digest, tags }) => ({ digest, tags: [...tags] })),
  };
}

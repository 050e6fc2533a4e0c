/**
 * A tool's version as it printed it, and its release numbers when it is a release. Development builds
 * (buildx built from a commit prints the commit instead of a tag) have none and are treated as newer
 * than any release, which is what actions-toolkit's Buildx.versionSatisfies does too.
 */
export interface ToolVersion {
  /** As printed, without a leading `v`: `1.28.2`, `0.12.1-desktop.4`, `9872040`. */
  readonly text: string;
  /** major, minor, patch; undefined for a development build. */
  readonly release: readonly [number, number, number] | undefined;
}

/** Reads `1.28.2`, `v0.11.2`, `0.5.1-docker` or `1.2` (patch 0); anything else is a development build. */
export function parseToolVersion(text: string): ToolVersion {
  const bare = text.trim().replace(/^v/, '');
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(bare);
  if (!match) return { text: bare, release: undefined };
  return { text: bare, release: [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] };
}

/** True when `version` is `minimum` (e.g. `0.10.0`) or newer; development builds always are. */
export function isVersionAtLeast(version: ToolVersion, minimum: string): boolean {
  const wanted = parseToolVersion(minimum).release;
  if (!version.release || !wanted) return true;
  for (let i = 0; i < 3; i++) {
    const have = version.release[i] as number;
    const need = wanted[i] as number;
    if (have !== need) return have > need;
  }
  return true;
}

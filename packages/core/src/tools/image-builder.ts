import type { BuildPlan } from './build-plan.ts';
import type { ToolVersion } from './tool-version.ts';

export type BuilderName = 'buildx' | 'buildah';

export interface ImageBuildOptions {
  /** Kills the build after this long; 0 means no limit. */
  readonly timeoutMs: number;
  /** Each line the builder prints, as it prints it. */
  readonly onLine: (line: string) => void;
  /** A builder quirk was worked around (e.g. buildah's stale cached labels). */
  readonly warn: (message: string) => void;
}

/**
 * One way of turning a BuildPlan into an OCI image layout. buildah and docker buildx are the two
 * implementations; each hides its own quirks (buildah's manifest lists and label cache, buildx's
 * metadata file) so that the build step treats them alike.
 */
export interface ImageBuilder {
  readonly name: BuilderName;
  /** Whether this builder can run here at all (for `builder: auto`). */
  isAvailable(): Promise<boolean>;
  version(): Promise<ToolVersion>;
  /**
   * Builds the plan into `plan.layoutDir` (an existing, empty directory) under `plan.layoutRef` and
   * resolves with the digest of the manifest, or of the index for several platforms, as written there.
   */
  build(plan: BuildPlan, options: ImageBuildOptions): Promise<string>;
}

import type { TagRule } from '../../git/compute-tags.ts';

/** A build secret as the builder receives it: a file path or the name of an environment variable. */
export type BuildSecret =
  | { readonly id: string; readonly kind: 'file'; readonly path: string }
  /**
   * Named by `secret-envs`; its value is read once at validation so that the variable itself can be
   * withheld from every child (git included) and the value reach the builder as a 0600 file instead.
   */
  | { readonly id: string; readonly kind: 'env'; readonly env: string; readonly value: string }
  /** Given as a value; written to a 0600 temp file just before the build, deleted right after. */
  | { readonly id: string; readonly kind: 'value'; readonly value: string };

/** One image to build, every path absolute and checked. */
export interface ImageBuildSpec {
  readonly name: string;
  readonly context: string;
  readonly file: string;
  readonly target: string | undefined;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Literal tags; the git-derived ones are added at run time. */
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
  /** Absolute directory for this image's OCI layout. */
  readonly layoutDir: string;
}

export type BuilderChoice = 'auto' | 'buildx' | 'buildah';

/** Validated inputs of the build step. */
export interface BuildInputs {
  readonly builder: BuilderChoice;
  readonly images: readonly ImageBuildSpec[];
  readonly tagRules: readonly TagRule[];
  readonly secrets: readonly BuildSecret[];
  readonly cacheFrom: readonly string[];
  readonly cacheTo: readonly string[];
  readonly noCache: boolean;
  readonly maxParallel: number;
  readonly timeoutMs: number;
}

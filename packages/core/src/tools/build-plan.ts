/**
 * Everything one builder invocation needs, resolved: final tags and labels, secrets as files or env
 * names (values never appear here), and where the outputs go. Argv builders are pure functions of it.
 */
export interface BuildPlan {
  readonly name: string;
  readonly context: string;
  readonly file: string;
  readonly target: string | undefined;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Full references, name:tag. */
  readonly references: readonly string[];
  readonly platforms: readonly string[];
  readonly secrets: readonly PlannedSecret[];
  readonly cacheFrom: readonly string[];
  readonly cacheTo: readonly string[];
  readonly noCache: boolean;
  /** OCI layout directory to write. */
  readonly layoutDir: string;
  /** Ref name inside the layout (the primary tag). */
  readonly layoutRef: string;
  /** File the builder writes the image id (buildah) or metadata JSON (buildx) to. */
  readonly metadataFile: string;
}

export type PlannedSecret =
  | { readonly id: string; readonly kind: 'file'; readonly path: string }
  | { readonly id: string; readonly kind: 'env'; readonly env: string };

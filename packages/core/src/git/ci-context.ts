/**
 * Source-control facts a step needs (tags, OCI labels), gathered by the host from its own variables
 * or, on a laptop, from git itself.
 */
export interface CiContext {
  /** The commit being built. On a pull request this is the PR head, never the merge commit. */
  sha?: string;
  /** Branch name without refs/heads/, when building a branch (or the PR's source branch). */
  branch?: string;
  /** Git tag name without refs/tags/, when building a tag. */
  tag?: string;
  /** Pull-request number, when building a PR. */
  pullRequest?: number;
  /** The repository's web URL, for org.opencontainers.image.source. */
  repositoryUrl?: string;
  /** The default branch, when known (used for the `latest` tag rule). */
  defaultBranch?: string;
  /** Commit time (ISO 8601) for reproducible org.opencontainers.image.created. */
  commitTime?: string;
}

import type { InputProblems } from '../../inputs/input-problems.ts';

/**
 * What input validation may look at: paths are resolved against the workspace, env names checked.
 *
 * A validator records every problem it finds in `problems` (one per input it blames, or more) instead
 * of stopping at the first, and still returns a value; when `problems` is not empty afterwards, that value
 * is discarded and the step does not run (validateStepInputs throws the InvalidInputsError).
 */
export interface ValidationContext {
  readonly workspace: string;
  readonly tempDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly problems: InputProblems;
  /**
   * Whether the host can mint OIDC tokens (GitHub id-token permission, an Azure Pipelines workload
   * identity connection); undefined when unknown, so that nothing is refused on a guess.
   */
  readonly federatedTokens?: boolean;
}

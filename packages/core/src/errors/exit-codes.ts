/**
 * Process exit codes, identical in every host so that pipelines can branch on them.
 */
export const ExitCode = {
  /** The step did what was asked. */
  success: 0,
  /** The step ran and a gate said no (scan policy, canary rolled back). */
  gateFailed: 1,
  /** Invalid input or configuration; nothing was changed. */
  invalidInput: 2,
  /** Environment or infrastructure error: a tool is missing, auth failed, a registry is unreachable. */
  environment: 3,
  /** Failed and could not restore a known-good state: a human must look. */
  needsHuman: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ExitCodeMeaning {
  /** A few words, for one-line places: `--help`, the Azure Pipelines task result. */
  readonly short: string;
  /** One sentence, for tables in docs and task metadata. */
  readonly meaning: string;
}

/**
 * The one wording of every exit code. Help text, task results, generated metadata and the README table
 * read it from here, so that the hosts never describe an exit code differently.
 */
export const exitCodeMeanings: Readonly<Record<ExitCodeValue, ExitCodeMeaning>> = {
  0: { short: 'ok', meaning: 'success' },
  1: { short: 'a gate failed', meaning: 'the step ran and a gate failed (scan policy, canary rolled back)' },
  2: { short: 'invalid input (nothing changed)', meaning: 'invalid input or configuration; nothing was changed' },
  3: { short: 'environment error', meaning: 'environment or infrastructure error (tool missing, auth failed, registry unreachable)' },
  4: { short: 'needs a human', meaning: 'failed and could not restore a known-good state: a human must look' },
};

/** `0 ok, 1 a gate failed, …`: every exit code on one line, for help text and task metadata. */
export function summariseExitCodes(): string {
  return Object.entries(exitCodeMeanings)
    .map(([code, { short }]) => `${code} ${short}`)
    .join(', ');
}

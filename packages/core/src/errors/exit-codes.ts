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

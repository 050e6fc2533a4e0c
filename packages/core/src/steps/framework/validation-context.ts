/** What input validation may look at: paths are resolved against the workspace, env names checked. */
export interface ValidationContext {
  readonly workspace: string;
  readonly tempDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

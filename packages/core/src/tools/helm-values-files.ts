import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Values files written for one Helm run, and the private directory holding them. */
export interface HelmValuesFiles {
  /** The files, in the order given: pass them to `valuesFiles` (later wins). */
  readonly files: readonly string[];
  /** The private directory; `cleanup` removes it. */
  readonly dir: string;
  /** Removes the directory and every file in it; safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Writes each values object to its own file, 0600 in a fresh 0700 directory, because values often hold
 * secrets (connection strings, tokens) that must never reach argv (`--set` is visible in `ps`) nor be
 * readable by other users of a shared agent. JSON is YAML, so no YAML writer is needed and what Helm
 * reads is exactly what was given. The caller removes them with `cleanup()`, in a `finally`.
 */
export async function writeHelmValuesFiles(values: readonly Readonly<Record<string, unknown>>[], tempDir: string = os.tmpdir()): Promise<HelmValuesFiles> {
  // mkdtemp creates the directory 0700: only this user can list or open what is inside.
  const dir = await mkdtemp(path.join(tempDir, 'slipway-helm-values-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const files: string[] = [];
    for (const [index, document] of values.entries()) {
      const file = path.join(dir, `values-${index}.yaml`);
      await writeFile(file, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      files.push(file);
    }
    return { files, dir, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

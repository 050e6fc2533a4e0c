import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors/index.ts';

/**
 * Written into every layout directory the build creates. Only a directory holding it is ever cleared,
 * so `--output-dir .` next to a source folder of the same name never deletes that folder (issue #9).
 */
export const layoutMarkerFile = '.slipway-layout';

const markerText = "This OCI image layout was written by Slipway's build step; the next build into it empties it first.\n";

/**
 * Why `dir` cannot take an image layout, or undefined when it can: it does not exist, is an empty
 * directory, or is a layout Slipway wrote before (it holds the marker). Reads, never changes anything,
 * so input validation can call it.
 */
export function checkLayoutDirFree(dir: string): string | undefined {
  let isDirectory: boolean;
  try {
    // lstat: a symlink is refused rather than followed into someone else's directory.
    isDirectory = lstatSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${dir} cannot be inspected (${(error as Error).message})`;
  }
  if (!isDirectory) return `${dir} already exists and is not a directory`;
  const entries = readdirSync(dir);
  if (entries.length === 0 || entries.includes(layoutMarkerFile)) return undefined;
  return `${dir} already exists and was not written by Slipway (no ${layoutMarkerFile} in it); the image layout would replace what is there`;
}

/** The error for a layout directory that is taken, naming the input that chose it. */
export function layoutDirTakenError(problem: string): InputError {
  return new InputError('output-dir', problem, {
    hint: 'choose an output-dir whose <output-dir>/<repository> is not an existing folder, or remove that folder yourself',
  });
}

/**
 * Makes `dir` an empty layout directory marked as Slipway's: creates it, or empties one Slipway wrote
 * before. Refuses anything else with an InputError, whatever validation did, because deleting a folder
 * Slipway did not create cannot be undone.
 */
export async function prepareLayoutDir(dir: string): Promise<void> {
  const problem = checkLayoutDirFree(dir);
  if (problem) throw layoutDirTakenError(problem);
  // A layout left from an earlier run would accumulate stale index entries.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await markLayoutDir(dir);
}

/** (Re)writes the marker; after a build too, in case the builder replaced the directory's contents. */
export async function markLayoutDir(dir: string): Promise<void> {
  await writeFile(path.join(dir, layoutMarkerFile), markerText);
}

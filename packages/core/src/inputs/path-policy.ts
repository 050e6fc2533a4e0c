import { accessSync, constants, lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { ValidationContext } from '../steps/framework/validation-context.ts';

/**
 * Which paths an input may point at. Relative paths are resolved against the workspace in every host.
 *
 * - **Paths Slipway reads** (`context`, `file`, `secret-files`, `layout`, `report`, `ignore-file`,
 *   `client-certificate-path`, the layouts in push `images`) may be anywhere the user can read: the
 *   user chose them, and reading changes nothing. They must exist, be of the right kind and be readable.
 * - **Paths Slipway writes** (`output-dir`, `cache-dir`, `json-file`, `sarif-file`, `junit-file`,
 *   `cyclonedx-file`) may be
 *   - relative, when they stay inside the workspace or the host's temp directory once `..` and symbolic
 *     links are resolved, and do not go through a `.git` directory: a relative path is read as "in my
 *     checkout", and the checkout's own content (a symbolic link, a `slipway.yaml` from a pull request)
 *     must not turn it into a write elsewhere, such as `.git/hooks`;
 *   - absolute, anywhere: an absolute path is an explicit choice (`$(Agent.TempDirectory)/trivy.xml`).
 *   Either way the nearest existing ancestor must be a writable directory, a file output must not be an
 *   existing directory and a directory output not an existing file, and a dangling symbolic link is
 *   refused, so that a bad path fails as invalid input (exit 2) instead of half-way through the step.
 * - Defaults Slipway computes itself (the temp directory, `~/.cache/trivy`) are not checked here.
 *
 * Anything else is refused with exit 2, naming the input.
 *
 * @packageDocumentation
 */

/** Whether a path input names a file or a directory. */
export type PathKind = 'file' | 'directory';

/** One path input to check: the input to blame, the value as given, and whether it names a file or a directory. */
export interface PathInput {
  readonly input: string;
  readonly value: string;
  readonly kind: PathKind;
}

type PathContext = Pick<ValidationContext, 'workspace' | 'tempDir' | 'problems'>;

/** Resolves a path Slipway reads and records a problem unless it exists, is of `kind` and is readable. Returns the absolute path. */
export function checkReadPath(target: PathInput, context: PathContext): string {
  const resolved = path.resolve(context.workspace, target.value);
  const stats = statOrUndefined(resolved);
  if (!stats) {
    context.problems.add(target.input, `${resolved} does not exist`);
  } else if (target.kind === 'directory' ? !stats.isDirectory() : !stats.isFile()) {
    context.problems.add(target.input, `${resolved} is not a ${target.kind}`);
  } else if (!hasAccess(resolved, constants.R_OK)) {
    context.problems.add(target.input, `${resolved} is not readable`);
  }
  return resolved;
}

/** Resolves a path Slipway writes and records a problem unless the policy above allows it. Returns the absolute path. */
export function checkOutputPath(target: PathInput, context: PathContext): string {
  const resolved = path.resolve(context.workspace, target.value);
  const problem = outputPathProblem(target, resolved, context);
  if (problem) context.problems.add(target.input, problem.message, problem.hint);
  return resolved;
}

function outputPathProblem(target: PathInput, resolved: string, context: PathContext): { message: string; hint?: string } | undefined {
  const tooLong = lengthProblem(resolved);
  if (tooLong) return { message: tooLong, hint: 'choose a shorter path' };
  const existing = nearestExisting(resolved);
  if (existing.dangling) return { message: `${existing.path} is a symbolic link to nothing`, hint: 'remove the link or choose another path' };
  if (!path.isAbsolute(target.value)) {
    const real = path.join(realOrSelf(existing.path), path.relative(existing.path, resolved));
    const roots = [context.workspace, context.tempDir].map(realOrSelf);
    const root = roots.find((candidate) => isWithin(candidate, real));
    if (!root) {
      return {
        message: `${target.value} resolves to ${real}, outside the workspace (${roots[0]}) and the temp directory`,
        hint: 'a relative output path must stay in the workspace; give an absolute path to write elsewhere',
      };
    }
    if (path.relative(root, real).split(path.sep).includes('.git')) {
      return { message: `${target.value} points into a .git directory`, hint: 'choose a path outside .git' };
    }
  }
  const { stats } = existing;
  if (existing.path === resolved) {
    if (target.kind === 'file' && stats.isDirectory()) return { message: `${resolved} is a directory; give a file path` };
    if (target.kind === 'directory' && !stats.isDirectory()) return { message: `${resolved} exists and is not a directory` };
    if (!hasAccess(resolved, constants.W_OK)) return { message: `${resolved} is not writable` };
    return undefined;
  }
  if (!stats.isDirectory()) return { message: `cannot create ${resolved}: ${existing.path} is not a directory` };
  if (!hasAccess(existing.path, constants.W_OK | constants.X_OK)) return { message: `cannot create ${resolved}: ${existing.path} is not writable` };
  return undefined;
}

/**
 * Linux's NAME_MAX and PATH_MAX, in bytes (255 is also the name limit of APFS and NTFS). A longer path
 * has no ancestor problem to find — every stat of it fails with ENAMETOOLONG, which reads as "does not
 * exist yet" — so without this check it passed validation and failed when the step wrote it.
 */
const maxNameBytes = 255;
const maxPathBytes = 4095;

function lengthProblem(resolved: string): string | undefined {
  const long = resolved.split(path.sep).find((name) => Buffer.byteLength(name) > maxNameBytes);
  if (long !== undefined)
    return `has a name of ${Buffer.byteLength(long)} bytes (${JSON.stringify(`${long.slice(0, 40)}…`)}); at most ${maxNameBytes} are allowed`;
  if (Buffer.byteLength(resolved) > maxPathBytes) return `is ${Buffer.byteLength(resolved)} bytes long; at most ${maxPathBytes} are allowed`;
  return undefined;
}

/** The path itself or its nearest ancestor that exists (the root always does). */
function nearestExisting(file: string): { path: string; stats: Stats; dangling: boolean } {
  for (let current = file; ; current = path.dirname(current)) {
    const stats = statOrUndefined(current);
    if (stats) return { path: current, stats, dangling: false };
    const link = lstatOrUndefined(current);
    if (link) return { path: current, stats: link, dangling: true };
    if (path.dirname(current) === current) throw new Error(`no ancestor of ${file} exists`);
  }
}

/** True when `file` is `root` or inside it (`..foo` is a name, not a way up). */
export function isWithin(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

function realOrSelf(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return path.resolve(file);
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function hasAccess(file: string, mode: number): boolean {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
}

import { ParseError } from '../errors/index.ts';
import { parseToolVersion, type ToolVersion } from './tool-version.ts';

export interface BuildahVersion extends ToolVersion {
  readonly goVersion: string | undefined;
  /** e.g. `linux/amd64`. */
  readonly buildPlatform: string | undefined;
}

/** `buildah version --json` (an object with `version`, `goVersion`, `buildPlatform`, ...). */
export function parseBuildahVersionJson(stdout: string): BuildahVersion {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch (error) {
    throw new ParseError('buildah version --json', stdout, { cause: error });
  }
  if (!isRecord(document) || typeof document.version !== 'string') throw new ParseError('buildah version --json (no version)', stdout);
  return {
    ...parseToolVersion(document.version),
    goVersion: typeof document.goVersion === 'string' ? document.goVersion : undefined,
    buildPlatform: typeof document.buildPlatform === 'string' ? document.buildPlatform : undefined,
  };
}

/** `buildah --version`: `buildah version 1.28.2 (image-spec 1.1.0-rc2, runtime-spec 1.0.2-dev)`. */
export function parseBuildahVersionText(stdout: string): BuildahVersion {
  const match = /buildah version (\S+)/.exec(stdout);
  if (!match) throw new ParseError('buildah --version', stdout);
  return { ...parseToolVersion(match[1] as string), goVersion: undefined, buildPlatform: undefined };
}

/** The labels of an image from `buildah inspect --type image` (its `OCIv1.config.Labels`). */
export function parseBuildahImageLabels(stdout: string): Record<string, string> {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch (error) {
    throw new ParseError('buildah inspect output', stdout, { cause: error });
  }
  const oci = isRecord(document) && isRecord(document.OCIv1) ? document.OCIv1 : undefined;
  if (!oci) throw new ParseError('buildah inspect output (no OCIv1 image)', stdout);
  const labels = isRecord(oci.config) ? oci.config.Labels : undefined;
  if (labels === undefined || labels === null) return {};
  if (!isRecord(labels) || !Object.values(labels).every((value) => typeof value === 'string')) {
    throw new ParseError('buildah inspect output (Labels is not a map of strings)', stdout);
  }
  return labels as Record<string, string>;
}

/** The image id that `buildah commit --quiet` prints last (64 hex characters). */
export function parseBuildahImageId(stdout: string): string {
  const id = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!/^[a-f0-9]{64}$/.test(id)) throw new ParseError('buildah image id', stdout);
  return id;
}

/** Keys whose value in `actual` differs from the one asked for. */
export function findStaleLabels(wanted: Readonly<Record<string, string>>, actual: Readonly<Record<string, string>>): string[] {
  return Object.entries(wanted)
    .filter(([key, value]) => actual[key] !== value)
    .map(([key]) => key);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

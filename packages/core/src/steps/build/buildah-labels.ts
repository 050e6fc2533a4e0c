import type { ProcessRunner } from '../../exec/index.ts';
import { ParseError } from '../../errors/index.ts';

/**
 * buildah's layer cache does not key on `--label`, so a rebuild of an unchanged Dockerfile returns the
 * cached image with the labels of the earlier build: a stale revision and created date
 * (containers/buildah#2041, containers/podman#10340). The labels are checked after every build and,
 * when the cache won, written onto a new image so the result always carries what was asked for.
 * Returns the id of the image that carries the labels.
 */
export async function ensureBuildahLabels(
  runner: ProcessRunner,
  imageId: string,
  wanted: Readonly<Record<string, string>>,
  references: readonly string[],
  warn: (message: string) => void,
): Promise<string> {
  const actual = await readBuildahLabels(runner, imageId);
  const stale = Object.entries(wanted).filter(([key, value]) => actual[key] !== value).map(([key]) => key);
  if (stale.length === 0) return imageId;

  warn(`buildah reused a cached image whose labels are out of date (${stale.join(', ')}); relabelling it`);
  const { stdout } = await runner.run('buildah', ['from', '--pull=never', imageId]);
  const container = stdout.trim().split('\n').pop() ?? '';
  const labelArgs = Object.entries(wanted).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  await runner.run('buildah', ['config', ...labelArgs, container]);
  const commit = await runner.run('buildah', ['commit', '--rm', '--quiet', container]);
  const relabelled = commit.stdout.trim().split('\n').pop() ?? '';
  if (!/^[a-f0-9]{64}$/.test(relabelled)) throw new ParseError('buildah commit image id', commit.stdout);
  if (references.length > 0) await runner.run('buildah', ['tag', relabelled, ...references]);
  return relabelled;
}

async function readBuildahLabels(runner: ProcessRunner, imageId: string): Promise<Record<string, string>> {
  // Older buildah (1.28 in Debian 12) has no `json` template function, so read the whole document.
  const { stdout } = await runner.run('buildah', ['inspect', '--type', 'image', imageId]);
  let parsed: { OCIv1?: { config?: { Labels?: Record<string, string> | null } } };
  try {
    parsed = JSON.parse(stdout);
  } catch (error) {
    throw new ParseError('buildah inspect output', stdout, { cause: error });
  }
  return parsed.OCIv1?.config?.Labels ?? {};
}

import { readFile } from 'node:fs/promises';
import { ParseError } from '../errors/index.ts';
import type { ProcessRunner } from '../exec/index.ts';
import type { BuildPlan } from './build-plan.ts';
import { buildBuildxBuildArgs, buildxFlagsFor } from './buildx-args.ts';
import { CliTool } from './cli-tool.ts';
import type { ImageBuilder, ImageBuildOptions } from './image-builder.ts';
import { parseToolVersion, type ToolVersion } from './tool-version.ts';

export interface BuildxVersion extends ToolVersion {
  /** The commit buildx was built from, when it says. */
  readonly revision: string | undefined;
}

/**
 * `docker buildx version`: `github.com/docker/buildx v0.11.2 9872040b6626fb7d87ef7296fd5b832e8cc2ad17`
 * (docs.docker.com), with vendor suffixes such as `v0.5.1-docker` or `v0.12.1-desktop.4`.
 */
export function parseBuildxVersion(stdout: string): BuildxVersion {
  const match = /^\s*(\S*buildx)\s+(\S+)(?:\s+([0-9a-f]{7,40}))?\s*$/m.exec(stdout);
  if (!match) throw new ParseError('docker buildx version', stdout);
  return { ...parseToolVersion(match[2] as string), revision: match[3] };
}

/** The buildx `--metadata-file` JSON: `containerimage.digest` is the manifest (or index) digest. */
export function parseBuildxMetadataDigest(text: string): string {
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch (error) {
    throw new ParseError('buildx metadata file', text, { cause: error });
  }
  const digest = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['containerimage.digest'] : undefined;
  if (typeof digest !== 'string') throw new ParseError('buildx metadata file (no containerimage.digest)', text);
  return digest;
}

/** docker buildx, as a Docker CLI plugin (a Docker daemon must answer). */
export class Buildx extends CliTool<BuildxVersion> implements ImageBuilder {
  readonly name = 'buildx' as const;

  constructor(runner: ProcessRunner, dockerPath = 'docker') {
    super(runner, dockerPath);
  }

  /** A daemon answers (hosted runners have one; most containers do not) and the buildx plugin is installed. */
  async isAvailable(): Promise<boolean> {
    return (await this.canRun(['version', '--format', '{{.Server.Version}}'])) && (await this.canRun(['buildx', 'version']));
  }

  protected async readVersion(): Promise<BuildxVersion> {
    const { stdout } = await this.run(['buildx', 'version'], { timeoutMs: 30_000 });
    return parseBuildxVersion(stdout);
  }

  async build(plan: BuildPlan, options: ImageBuildOptions): Promise<string> {
    const flags = buildxFlagsFor(await this.version());
    await this.run(buildBuildxBuildArgs(plan, flags), { timeoutMs: options.timeoutMs, onLine: options.onLine });
    return parseBuildxMetadataDigest(await readFile(plan.metadataFile, 'utf8'));
  }
}

import { readFile } from 'node:fs/promises';
import { ExecError, ParseError } from '../errors/index.ts';
import type { ProcessRunner } from '../exec/index.ts';
import type { BuildPlan } from './build-plan.ts';
import { buildBuildahBuildArgs, buildBuildahPushArgs } from './buildah-args.ts';
import {
  findStaleLabels,
  parseBuildahImageId,
  parseBuildahImageLabels,
  parseBuildahVersionJson,
  parseBuildahVersionText,
  type BuildahVersion,
} from './buildah-parsers.ts';
import { CliTool } from './cli-tool.ts';
import type { ImageBuilder, ImageBuildOptions } from './image-builder.ts';

type StreamedRun = Pick<ImageBuildOptions, 'timeoutMs' | 'onLine'>;

/** buildah: daemonless builds (containers, agents and laptops without Docker). */
export class Buildah extends CliTool<BuildahVersion> implements ImageBuilder {
  readonly name = 'buildah' as const;

  constructor(runner: ProcessRunner, binPath = 'buildah') {
    super(runner, binPath);
  }

  isAvailable(): Promise<boolean> {
    return this.canRun(['--version']);
  }

  /** `version --json` where it exists; the one-line `--version` otherwise. */
  protected async readVersion(): Promise<BuildahVersion> {
    try {
      const { stdout } = await this.run(['version', '--json'], { timeoutMs: 30_000 });
      return parseBuildahVersionJson(stdout);
    } catch (error) {
      if (!(error instanceof ExecError || error instanceof ParseError)) throw error;
      const { stdout } = await this.run(['--version'], { timeoutMs: 30_000 });
      return parseBuildahVersionText(stdout);
    }
  }

  /** Builds an image, or a manifest list for several platforms, and pushes it into the OCI layout. */
  async build(plan: BuildPlan, options: ImageBuildOptions): Promise<string> {
    const digestFile = `${plan.metadataFile}.digest`;
    const run: StreamedRun = { timeoutMs: options.timeoutMs, onLine: options.onLine };
    const source = plan.platforms.length > 1 ? await this.#buildManifestList(plan, run) : await this.#buildImage(plan, run, options.warn);
    await this.run(buildBuildahPushArgs(plan, source, digestFile), run);
    return (await readFile(digestFile, 'utf8')).trim();
  }

  /** One platform: build, then make sure the labels are the ones asked for. Returns the image id to push. */
  async #buildImage(plan: BuildPlan, run: StreamedRun, warn: (message: string) => void): Promise<string> {
    await this.run(buildBuildahBuildArgs(plan), run);
    const imageId = (await readFile(plan.metadataFile, 'utf8')).trim();
    return this.#ensureLabels(imageId, plan.labels, plan.references, warn);
  }

  /**
   * Several platforms: a manifest list, which buildah keeps under a name rather than an --iidfile.
   * Returns the name of the list to push.
   */
  async #buildManifestList(plan: BuildPlan, run: StreamedRun): Promise<string> {
    const list = plan.references[0] ?? plan.name;
    // A list left by an earlier build would collect this build's images next to its own; 1 and 125
    // are buildah's answers when there is none.
    await this.run(['manifest', 'rm', list], { okExitCodes: [0, 1, 125] });
    await this.run(buildBuildahBuildArgs(plan), run);
    return list;
  }

  /**
   * buildah's layer cache does not key on `--label`, so a rebuild of an unchanged Dockerfile can return
   * the cached image with the labels of the earlier build: a stale revision and created date
   * (containers/buildah#2041, containers/podman#10340). When that happens the wanted labels are written
   * onto a new image, so the result always carries what was asked for. Returns the id to push.
   */
  async #ensureLabels(
    imageId: string,
    wanted: Readonly<Record<string, string>>,
    references: readonly string[],
    warn: (message: string) => void,
  ): Promise<string> {
    const stale = findStaleLabels(wanted, await this.readImageLabels(imageId));
    if (stale.length === 0) return imageId;
    warn(`buildah reused a cached image whose labels are out of date (${stale.join(', ')}); relabelling it`);
    return this.relabelImage(imageId, wanted, references);
  }

  async readImageLabels(imageId: string): Promise<Record<string, string>> {
    // Older buildah (1.28 in Debian 12) has no `json` template function, so read the whole document.
    const { stdout } = await this.run(['inspect', '--type', 'image', imageId]);
    return parseBuildahImageLabels(stdout);
  }

  /** Commits a copy of `imageId` with `labels` set, tags it with `references`, and returns its id. */
  async relabelImage(imageId: string, labels: Readonly<Record<string, string>>, references: readonly string[]): Promise<string> {
    const from = await this.run(['from', '--pull=never', imageId]);
    const container = from.stdout.trim().split('\n').pop() ?? '';
    await this.run(['config', ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]), container]);
    const relabelled = parseBuildahImageId((await this.run(['commit', '--rm', '--quiet', container])).stdout);
    if (references.length > 0) await this.run(['tag', relabelled, ...references]);
    return relabelled;
  }
}

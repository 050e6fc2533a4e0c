import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ParseError, SlipwayError } from '../../errors/index.ts';
import { ExitCode } from '../../errors/exit-codes.ts';
import { computeTags } from '../../git/compute-tags.ts';
import { readImageConfigs, readOciLayoutIndex } from '../../oci/oci-layout.ts';
import { taggedReferences } from '../../oci/reference.ts';
import { isValidDigest } from '../../oci/reference.ts';
import { mapWithLimit } from '../../concurrency/map-with-limit.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { BuildInputs, BuildSecret, ImageBuildSpec } from './build-inputs.ts';
import type { BuildPlan, PlannedSecret } from './build-plan.ts';
import { buildBuildahBuildArgs, buildBuildahPushArgs } from './buildah-args.ts';
import { ensureBuildahLabels } from './buildah-labels.ts';
import { buildBuildxBuildArgs } from './buildx-args.ts';
import { computeOciLabels } from './oci-labels.ts';
import { selectBuilder, type Builder } from './select-builder.ts';

export interface BuiltImage {
  name: string;
  /** Manifest (or index) digest as written to the layout; push reproduces these exact bytes. */
  digest: string;
  /** Full references, name:tag. */
  references: string[];
  tags: string[];
  layout: string;
  platforms: string[];
  labels: Record<string, string>;
}

export interface BuildResult {
  builder: Builder;
  images: BuiltImage[];
}

/** Builds every image (bounded parallelism) and returns each one's OCI layout, digest and tags. */
export async function runBuild(inputs: BuildInputs, deps: StepDeps): Promise<BuildResult> {
  const builder = await selectBuilder(inputs.builder, deps.runner);
  deps.log.info(`builder: ${builder}`);
  const planned = inputs.images.map((image) => {
    const tags = computeTags(deps.ci, inputs.tagRules, image.tags);
    if (tags.length === 0) {
      throw new InputError('tags', `no tag for ${image.name}: tag-rules produced none and no literal tags were given`, {
        hint: 'give tags, or build from a git checkout so that sha/branch tags can be computed',
      });
    }
    return { image, tags };
  });

  await mkdir(deps.tempDir, { recursive: true });
  const scratch = await mkdtemp(path.join(deps.tempDir, 'slipway-build-'));
  try {
    const secrets = await materialiseSecrets(inputs.secrets, scratch);
    const images = await deps.log.group(`Build ${inputs.images.length} image(s) with ${builder}`, () =>
      mapWithLimit(planned, inputs.maxParallel, async ({ image, tags }, index) => {
        const plan: BuildPlan = {
          name: image.name,
          context: image.context,
          file: image.file,
          target: image.target,
          buildArgs: image.buildArgs,
          labels: computeOciLabels(deps.ci, { name: image.name, tags }, deps.now(), image.labels),
          references: taggedReferences(image.name, tags),
          platforms: image.platforms,
          secrets,
          cacheFrom: inputs.cacheFrom,
          cacheTo: inputs.cacheTo,
          noCache: inputs.noCache,
          layoutDir: image.layoutDir,
          layoutRef: tags[0] as string,
          metadataFile: path.join(scratch, `image-${index}.meta`),
        };
        return buildOne(builder, plan, tags, inputs.timeoutMs, deps, image);
      }),
    );
    return { builder, images };
  } finally {
    // Secret files and metadata go as soon as the builds are done, whatever happened.
    await rm(scratch, { recursive: true, force: true });
  }
}

async function buildOne(
  builder: Builder,
  plan: BuildPlan,
  tags: string[],
  timeoutMs: number,
  deps: StepDeps,
  image: ImageBuildSpec,
): Promise<BuiltImage> {
  const prefix = `[${image.name}]`;
  const onLine = (line: string) => deps.log.info(`${prefix} ${line}`);
  // A layout left from an earlier run would accumulate stale index entries.
  await rm(plan.layoutDir, { recursive: true, force: true });
  await mkdir(path.dirname(plan.layoutDir), { recursive: true });

  let digest: string;
  if (builder === 'buildah') {
    const multiPlatform = plan.platforms.length > 1;
    if (multiPlatform) {
      // A manifest list left by an earlier build would collect this build's images next to its own.
      await deps.runner.run('buildah', ['manifest', 'rm', plan.references[0] ?? plan.name], { okExitCodes: [0, 1, 125] });
    }
    await deps.runner.run('buildah', buildBuildahBuildArgs(plan), { timeoutMs, onLine });
    let imageId = multiPlatform ? '' : (await readFile(plan.metadataFile, 'utf8')).trim();
    if (!multiPlatform) {
      imageId = await ensureBuildahLabels(deps.runner, imageId, plan.labels, plan.references, (m) => deps.log.warning(`${prefix} ${m}`));
    }
    const digestFile = `${plan.metadataFile}.digest`;
    await deps.runner.run('buildah', buildBuildahPushArgs(plan, imageId, digestFile), { timeoutMs, onLine });
    digest = (await readFile(digestFile, 'utf8')).trim();
  } else {
    await deps.runner.run('docker', buildBuildxBuildArgs(plan), { timeoutMs, onLine });
    digest = digestFromBuildxMetadata(await readFile(plan.metadataFile, 'utf8'));
  }
  if (!isValidDigest(digest)) throw new ParseError(`${builder} image digest`, digest);

  const entries = await readOciLayoutIndex(plan.layoutDir);
  if (!entries.some((entry) => entry.digest === digest)) {
    throw new SlipwayError(
      'BUILD_DIGEST_MISMATCH',
      `${builder} reported ${digest} for ${image.name}, but the OCI layout ${plan.layoutDir} does not contain it (it has ${entries.map((e) => e.digest).join(', ') || 'nothing'})`,
      ExitCode.environment,
    );
  }
  const configs = await readImageConfigs(plan.layoutDir, digest);
  deps.log.info(`${prefix} ${digest}`);
  return {
    name: image.name,
    digest,
    references: [...plan.references],
    tags,
    layout: plan.layoutDir,
    platforms: configs.map((config) => config.platform),
    labels: configs[0]?.labels ?? {},
  };
}

/** buildx --metadata-file JSON: `containerimage.digest` is the manifest (or index) digest. */
export function digestFromBuildxMetadata(text: string): string {
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

/** Value secrets become 0600 files in a private temp directory, the only place they are ever written. */
async function materialiseSecrets(secrets: readonly BuildSecret[], scratch: string): Promise<PlannedSecret[]> {
  const out: PlannedSecret[] = [];
  for (const secret of secrets) {
    if (secret.kind === 'value') {
      const file = path.join(scratch, `secret-${secret.id}`);
      await writeFile(file, secret.value, { mode: 0o600 });
      out.push({ id: secret.id, kind: 'file', path: file });
    } else {
      out.push(secret);
    }
  }
  return out;
}

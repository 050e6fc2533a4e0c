import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ParseError, SlipwayError } from '../../errors/index.ts';
import { ExitCode } from '../../errors/exit-codes.ts';
import { computeTags } from '../../git/compute-tags.ts';
import { readImageConfigs, readOciLayoutIndex } from '../../oci/oci-layout.ts';
import { isValidDigest, taggedReferences } from '../../oci/reference.ts';
import { mapWithLimit } from '../../concurrency/map-with-limit.ts';
import type { BuildPlan, PlannedSecret } from '../../tools/build-plan.ts';
import { Buildah } from '../../tools/buildah.ts';
import { Buildx } from '../../tools/buildx.ts';
import type { BuilderName, ImageBuilder } from '../../tools/image-builder.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { BuildInputs, BuildSecret, ImageBuildSpec } from './build-inputs.ts';
import { checkLayoutDirFree, layoutDirTakenError, markLayoutDir, prepareLayoutDir } from './layout-dir.ts';
import { computeOciLabels } from './oci-labels.ts';
import { selectBuilder } from './select-builder.ts';

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
  builder: BuilderName;
  images: BuiltImage[];
}

/** Builds every image (bounded parallelism) and returns each one's OCI layout, digest and tags. */
export async function runBuild(inputs: BuildInputs, deps: StepDeps): Promise<BuildResult> {
  // Masked before the first child (git, the builder probes) starts: a variable holding a known secret is
  // withheld from every child's environment, and the value reaches the builder only as a file.
  for (const secret of inputs.secrets) if (secret.kind === 'env') deps.setSecret(secret.value);
  // Before anything runs: a layout directory that Slipway did not write is never cleared.
  for (const image of inputs.images) {
    const problem = checkLayoutDirFree(image.layoutDir);
    if (problem) throw layoutDirTakenError(problem);
  }
  const builder = await selectBuilder(inputs.builder, { buildx: new Buildx(deps.runner), buildah: new Buildah(deps.runner) });
  deps.log.info(`builder: ${builder.name} ${(await builder.version()).text}`);
  const ci = await deps.ciContext();
  const planned = inputs.images.map((image) => {
    const tags = computeTags(ci, inputs.tagRules, image.tags);
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
    const images = await deps.log.group(`Build ${inputs.images.length} image(s) with ${builder.name}`, () =>
      mapWithLimit(planned, inputs.maxParallel, async ({ image, tags }, index) => {
        const plan: BuildPlan = {
          name: image.name,
          context: image.context,
          file: image.file,
          target: image.target,
          buildArgs: image.buildArgs,
          labels: computeOciLabels(ci, { name: image.name, tags }, deps.now(), image.labels),
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
        return buildOne(builder, plan, { image, tags, timeoutMs: inputs.timeoutMs }, deps);
      }),
    );
    return { builder: builder.name, images };
  } finally {
    // Secret files and metadata go as soon as the builds are done, whatever happened.
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Builds one image into its layout, then checks that the layout holds the digest the builder reported. */
async function buildOne(
  builder: ImageBuilder,
  plan: BuildPlan,
  job: { image: ImageBuildSpec; tags: string[]; timeoutMs: number },
  deps: StepDeps,
): Promise<BuiltImage> {
  const prefix = `[${plan.name}]`;
  await prepareLayoutDir(plan.layoutDir);
  const digest = await builder.build(plan, {
    timeoutMs: job.timeoutMs,
    onLine: (line) => deps.log.info(`${prefix} ${line}`),
    warn: (message) => deps.log.warning(`${prefix} ${message}`),
  });
  await markLayoutDir(plan.layoutDir);
  if (!isValidDigest(digest)) throw new ParseError(`${builder.name} image digest`, digest);

  const entries = await readOciLayoutIndex(plan.layoutDir);
  if (!entries.some((entry) => entry.digest === digest)) {
    throw new SlipwayError(
      'BUILD_DIGEST_MISMATCH',
      `${builder.name} reported ${digest} for ${plan.name}, but the OCI layout ${plan.layoutDir} does not contain it (it has ${entries.map((e) => e.digest).join(', ') || 'nothing'})`,
      ExitCode.environment,
    );
  }
  const configs = await readImageConfigs(plan.layoutDir, digest);
  deps.log.info(`${prefix} ${digest}`);
  return {
    name: job.image.name,
    digest,
    references: [...plan.references],
    tags: job.tags,
    layout: plan.layoutDir,
    platforms: configs.map((config) => config.platform),
    labels: configs[0]?.labels ?? {},
  };
}

/**
 * Secrets given as values or environment variables become 0600 files in a private temp directory, the
 * only place they are ever written; the builder reads them there.
 */
async function materialiseSecrets(secrets: readonly BuildSecret[], scratch: string): Promise<PlannedSecret[]> {
  const out: PlannedSecret[] = [];
  for (const secret of secrets) {
    if (secret.kind === 'value' || secret.kind === 'env') {
      const file = path.join(scratch, `secret-${secret.id}`);
      await writeFile(file, secret.value, { mode: 0o600 });
      out.push({ id: secret.id, kind: 'file', path: file });
    } else {
      out.push(secret);
    }
  }
  return out;
}

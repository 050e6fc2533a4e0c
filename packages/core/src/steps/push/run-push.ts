import { pushImage, type PushImageResult } from '../../azure/acr-push.ts';
import { applyRetention } from '../../azure/acr-retention.ts';
import { createStepCredential } from '../../azure/step-credential.ts';
import { LayoutError, readOciLayoutIndex } from '../../oci/oci-layout.ts';
import type { StepReport } from '../framework/step-definition.ts';
import type { StepDeps } from '../framework/step-deps.ts';
import type { PushInputs, PushTargetImage } from './push-inputs.ts';

export interface PushedImage extends PushImageResult {
  name: string;
  references: string[];
}

export interface RetentionEntry {
  repository: string;
  digest: string;
  tags: string[];
  dryRun: boolean;
}

export interface PushResult {
  pushed: PushedImage[];
  retention: RetentionEntry[];
}

/**
 * The push step's work: sign in, push every image, then apply retention. Its own module, loaded only
 * when a push runs, because it is what pulls in @azure/identity and @azure/container-registry.
 */
export async function runPush(inputs: PushInputs, deps: StepDeps): Promise<PushResult> {
  const { credential, description, lastAssertion } = createStepCredential(inputs.auth, deps);
  deps.log.info(`signing in to Azure as ${description}`);

  const pushed: PushedImage[] = [];
  for (const image of inputs.images) {
    const name = `${image.registry}/${image.repository}`;
    const digest = await chooseDigest(image);
    const result = await deps.log.group(`Push ${name}@${digest}`, () =>
      pushImage({
        layout: image.layout,
        digest,
        target: { endpoint: `https://${image.registry}`, repository: image.repository, audience: inputs.auth.cloud.containerRegistryAudience },
        tags: image.tags,
        credential,
        attempts: inputs.attempts,
        sleep: deps.sleep,
        log: deps.log,
        signal: deps.signal,
        lastAssertion,
      }),
    );
    pushed.push({ ...result, name, references: image.tags.map((tag) => `${name}:${tag}`) });
  }

  const retention: RetentionEntry[] = [];
  if (inputs.retention) {
    const policy = inputs.retention;
    const repositories = new Map(inputs.images.map((image) => [`${image.registry}/${image.repository}`, image]));
    for (const [name, image] of repositories) {
      const plan = await deps.log.group(`Retention in ${name}: keep the newest ${policy.keep} tags matching /${policy.pattern.source}/`, () =>
        applyRetention({
          target: { endpoint: `https://${image.registry}`, repository: image.repository, audience: inputs.auth.cloud.containerRegistryAudience },
          credential,
          keep: policy.keep,
          pattern: policy.pattern,
          protect: pushed.filter((p) => p.name === name).map((p) => p.digest),
          dryRun: policy.dryRun,
          log: deps.log,
          signal: deps.signal,
        }),
      );
      retention.push(...plan.deleted.map((entry) => ({ repository: name, ...entry, dryRun: policy.dryRun })));
    }
  }
  return { pushed, retention };
}

/** The push step's report: outputs, the job summary, and the result for `--json`. */
export async function runPushStep(inputs: PushInputs, deps: StepDeps): Promise<StepReport> {
  const { pushed, retention } = await runPush(inputs, deps);
  const first = pushed[0];
  return {
    outcome: 'succeeded',
    outputs: {
      digest: first?.digest ?? '',
      image: first ? `${first.name}@${first.digest}` : '',
      tags: first?.references.join('\n') ?? '',
      'bytes-uploaded': String(pushed.reduce((sum, image) => sum + image.bytesUploaded, 0)),
      'blobs-skipped': String(pushed.reduce((sum, image) => sum + image.blobsSkipped, 0)),
      images: JSON.stringify(
        pushed.map(({ name, digest, references, bytesUploaded, blobsSkipped }) => ({ name, digest, tags: references, bytesUploaded, blobsSkipped })),
      ),
      'retention-deleted': JSON.stringify(retention),
    },
    summary: [
      '### Slipway push',
      '',
      '| image | digest | tags | uploaded | skipped blobs |',
      '|---|---|---|---:|---:|',
      ...pushed.map(
        (image) =>
          `| \`${image.name}\` | \`${image.digest}\` | ${image.tags.map((t) => `\`${t}\``).join(' ')} | ${image.bytesUploaded} B | ${image.blobsSkipped} |`,
      ),
      '',
    ].join('\n'),
    result: { images: pushed, retention },
  };
}

async function chooseDigest(image: PushTargetImage): Promise<string> {
  const entries = await readOciLayoutIndex(image.layout);
  if (image.digest) {
    if (!entries.some((entry) => entry.digest === image.digest)) throw new LayoutError(`${image.layout} does not contain ${image.digest}`);
    return image.digest;
  }
  const digests = [...new Set(entries.map((entry) => entry.digest))];
  if (digests.length !== 1) throw new LayoutError(`${image.layout} holds ${digests.length} images (${digests.join(', ')}); choose one with digest`);
  return digests[0] as string;
}

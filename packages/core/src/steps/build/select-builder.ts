import { ToolNotFoundError } from '../../errors/index.ts';
import type { BuilderName, ImageBuilder } from '../../tools/image-builder.ts';
import type { BuilderChoice } from './build-inputs.ts';

/**
 * `auto` prefers buildx when a Docker daemon answers (hosted runners) and falls back to buildah
 * (daemonless agents, containers, laptops without Docker). An explicit choice is taken as given: a
 * missing tool then fails on first use with its own error.
 */
export async function selectBuilder(choice: BuilderChoice, builders: Readonly<Record<BuilderName, ImageBuilder>>): Promise<ImageBuilder> {
  if (choice !== 'auto') return builders[choice];
  if (await builders.buildx.isAvailable()) return builders.buildx;
  if (await builders.buildah.isAvailable()) return builders.buildah;
  throw new ToolNotFoundError('buildah', {
    hint: 'no Docker daemon with buildx answered and buildah is not installed: install buildah (apt-get install buildah) or Docker with buildx, or set builder',
  });
}

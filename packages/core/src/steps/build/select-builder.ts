import { ToolNotFoundError } from '../../errors/index.ts';
import type { ProcessRunner } from '../../exec/index.ts';
import type { BuilderChoice } from './build-inputs.ts';

export type Builder = 'buildx' | 'buildah';

/**
 * `auto` prefers buildx when a Docker daemon answers (hosted runners) and falls back to buildah
 * (daemonless agents, containers, laptops without Docker).
 */
export async function selectBuilder(choice: BuilderChoice, runner: ProcessRunner): Promise<Builder> {
  if (choice !== 'auto') return choice;
  if ((await runner.canRun('docker', ['version', '--format', '{{.Server.Version}}'])) && (await runner.canRun('docker', ['buildx', 'version']))) {
    return 'buildx';
  }
  if (await runner.canRun('buildah', ['--version'])) return 'buildah';
  throw new ToolNotFoundError('buildah', {
    hint: 'no Docker daemon with buildx answered and buildah is not installed: install buildah (apt-get install buildah) or Docker with buildx, or set builder',
  });
}

import { describe, expect, it } from 'vitest';
import { parseToolVersion, selectBuilder, ToolNotFoundError, type BuilderName, type ImageBuilder } from '@slipway/core';

/** A builder that is, or is not, installed; it counts how often its availability was probed. */
function fakeBuilder(name: BuilderName, available: boolean): ImageBuilder & { probes: number } {
  return {
    name,
    probes: 0,
    async isAvailable() {
      this.probes++;
      return available;
    },
    version: async () => parseToolVersion('1.0.0'),
    build: async () => 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
  };
}

describe('selectBuilder', () => {
  it.each<[string, boolean, boolean, BuilderName]>([
    ['buildx when a Docker daemon with buildx answers', true, true, 'buildx'],
    ['buildx even when buildah is there too', true, false, 'buildx'],
    ['buildah when there is no Docker daemon', false, true, 'buildah'],
  ])('auto picks %s', async (_, buildx, buildah, expected) => {
    expect((await selectBuilder('auto', { buildx: fakeBuilder('buildx', buildx), buildah: fakeBuilder('buildah', buildah) })).name).toBe(expected);
  });

  it('auto with neither fails with how to install one (exit 3)', async () => {
    const attempt = selectBuilder('auto', { buildx: fakeBuilder('buildx', false), buildah: fakeBuilder('buildah', false) });
    await expect(attempt).rejects.toThrow(ToolNotFoundError);
    await expect(attempt).rejects.toMatchObject({ exitCode: 3, hint: expect.stringContaining('apt-get install buildah') });
  });

  it('an explicit choice is taken without probing', async () => {
    const builders = { buildx: fakeBuilder('buildx', true), buildah: fakeBuilder('buildah', false) };
    expect((await selectBuilder('buildah', builders)).name).toBe('buildah');
    expect(builders.buildx.probes + builders.buildah.probes).toBe(0);
  });
});

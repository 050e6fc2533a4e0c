import { describe, expect, it } from 'vitest';
import { buildImageValues, imagePartValue, splitValuePath, type PinnedImage } from '@slipway/core';

const digest = `sha256:${'ab'.repeat(32)}`;
const tagged: PinnedImage = {
  reference: `myacr.azurecr.io/team/api:1.10@${digest}`,
  registry: 'myacr.azurecr.io',
  repository: 'myacr.azurecr.io/team/api',
  tag: '1.10',
  digest,
};
const untagged: PinnedImage = { ...tagged, reference: `myacr.azurecr.io/team/api@${digest}`, tag: undefined };

describe('image values', () => {
  it.each([
    ['repository', tagged, 'myacr.azurecr.io/team/api'],
    ['registry', tagged, 'myacr.azurecr.io'],
    ['name', tagged, 'team/api'],
    ['tag', tagged, '1.10'],
    ['digest', tagged, digest],
    ['tag@digest', tagged, `1.10@${digest}`],
    ['tag@digest', untagged, `digest-abababababab@${digest}`],
    ['reference', untagged, `myacr.azurecr.io/team/api:digest-abababababab@${digest}`],
  ] as const)('%s of %s', (part, image, expected) => {
    expect(imagePartValue(image, part)).toBe(expected);
  });

  it('builds nested values, keeping a tag like 1.10 a string', () => {
    expect(
      buildImageValues(tagged, [
        { path: 'image.repository', part: 'repository' },
        { path: 'image.tag', part: 'tag@digest' },
        { path: 'sidecars[0].image', part: 'reference' },
        { path: 'podAnnotations.slipway\\.dev/digest', part: 'digest' },
      ]),
    ).toEqual({
      image: { repository: 'myacr.azurecr.io/team/api', tag: `1.10@${digest}` },
      sidecars: [{ image: `myacr.azurecr.io/team/api:1.10@${digest}` }],
      podAnnotations: { 'slipway.dev/digest': digest },
    });
  });

  it('splits value paths with list indexes and escaped dots', () => {
    expect(splitValuePath('a.b[2][0].c\\.d')).toEqual(['a', 'b', 2, 0, 'c.d']);
  });
});

import { azureAuthInputs } from '../../azure/azure-auth-inputs.ts';
import type { StepSpec } from '../../inputs/index.ts';

/** Inputs and outputs of `push`. */
export const pushSpec = {
  id: 'push',
  title: 'Slipway push',
  description:
    'Push images from the OCI layouts of build to Azure Container Registry with @azure/identity sign-in: blobs the registry has are skipped, tags are applied only after the whole image is up, and every tag is read back and compared with the built digest.',
  taskName: 'SlipwayPushV1',
  taskId: '9b1e4c62-3f0a-4d7e-8a5b-c2d9e6f10a37',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  branding: { icon: 'upload-cloud', color: 'blue' },
  groups: [
    { name: 'image', displayName: 'Image', isExpanded: true },
    { name: 'azure', displayName: 'Azure sign-in', isExpanded: true },
    { name: 'retention', displayName: 'Retention', isExpanded: false },
    { name: 'advanced', displayName: 'Advanced', isExpanded: false },
  ],
  inputs: [
    {
      name: 'images',
      type: 'multiline',
      group: 'image',
      description: 'The `images` output of build (JSON): every image in it is pushed. Alternative to layout/image/tags.',
    },
    { name: 'layout', type: 'string', group: 'image', description: 'OCI image layout directory to push (the `layout` output of build).' },
    { name: 'image', type: 'string', group: 'image', description: 'Image name to push to, with the registry host.', example: 'myregistry.azurecr.io/team/api' },
    {
      name: 'tags',
      type: 'list',
      group: 'image',
      description: 'Tags to apply: plain tags, or full references as build outputs them (name:tag).',
      example: '1.2.3,latest',
    },
    { name: 'digest', type: 'string', group: 'image', description: 'Which manifest of the layout to push. Default: the only one (or the build digest).' },
    {
      name: 'registry',
      type: 'string',
      group: 'image',
      description: 'Registry login server to push to, replacing the host in the image name (e.g. to promote a build to another ACR).',
      example: 'myregistry.azurecr.io',
    },
    ...azureAuthInputs,
    {
      name: 'keep-tags',
      type: 'integer',
      group: 'retention',
      default: '0',
      min: 0,
      max: 10000,
      description:
        'After pushing, keep only the newest N tags matching keep-tags-matching in each pushed repository (0: no retention). Never deletes an image that a kept or non-matching tag points at.',
    },
    {
      name: 'keep-tags-matching',
      type: 'string',
      group: 'retention',
      default: '.*',
      description: 'Regular expression selecting the tags retention manages, e.g. ^sha-.',
    },
    {
      name: 'retention-dry-run',
      type: 'boolean',
      group: 'retention',
      default: 'true',
      description: 'Only report what retention would delete. Set false to delete.',
    },
    {
      name: 'attempts',
      type: 'integer',
      group: 'advanced',
      default: '4',
      min: 1,
      max: 10,
      description: 'Attempts per blob and manifest on 429/5xx/timeouts/connection resets, with exponential backoff.',
    },
  ],
  outputs: [
    { name: 'digest', description: 'Digest of the pushed (first) image, read back from the registry.' },
    { name: 'image', description: 'The (first) image by digest: registry/repository@sha256:...' },
    { name: 'tags', description: 'Full references pushed for the (first) image, one per line.' },
    { name: 'bytes-uploaded', description: 'Bytes of blobs uploaded (0 when the registry had every layer).' },
    { name: 'blobs-skipped', description: 'Blobs the registry already had.' },
    { name: 'images', description: 'JSON array of every pushed image: name, digest, tags, bytesUploaded, blobsSkipped.' },
    { name: 'retention-deleted', description: 'JSON array of the images retention deleted (or would delete in a dry run): repository, digest, tags.' },
  ],
} as const satisfies StepSpec;

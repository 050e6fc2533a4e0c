import { defineStep } from '../framework/step-definition.ts';
import { buildSpec } from './build-spec.ts';
import type { BuildResult } from './run-build.ts';
import { validateBuildInputs } from './validate-build-inputs.ts';

export const buildStep = defineStep({
  spec: buildSpec,
  validate: validateBuildInputs,
  async run(inputs, deps) {
    // Loaded on first run, not with the registry: help, metadata and validation need only spec and validate.
    const { runBuild } = await import('./run-build.ts');
    const result = await runBuild(inputs, deps);
    const first = result.images[0];
    return {
      outcome: 'succeeded',
      outputs: {
        digest: first?.digest ?? '',
        image: first ? `${first.name}@${first.digest}` : '',
        tags: first?.references.join('\n') ?? '',
        layout: first?.layout ?? '',
        images: JSON.stringify(result.images.map(({ name, digest, references, layout, platforms }) => ({ name, digest, tags: references, layout, platforms }))),
        builder: result.builder,
      },
      summary: renderBuildSummary(result),
      result,
    };
  },
});

function renderBuildSummary(result: BuildResult): string {
  const rows = result.images.map(
    (image) => `| \`${image.name}\` | \`${image.digest}\` | ${image.tags.map((tag) => `\`${tag}\``).join(' ')} | ${image.platforms.join(', ')} |`,
  );
  return [`### Slipway build (${result.builder})`, '', '| image | digest | tags | platforms |', '|---|---|---|---|', ...rows, ''].join('\n');
}

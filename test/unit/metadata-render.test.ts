/**
 * What scripts/metadata.ts renders for cases no current step has: a post phase, and an expression
 * (`${{ }}`) where the GitHub runner refuses one.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { StepSpec } from '@slipway/core';
import { generatedFiles, renderActionYml, renderTaskJson } from '../../scripts/metadata.ts';

const base: StepSpec = {
  id: 'fixture',
  title: 'Slipway fixture',
  description: 'A step spec made for these tests. Not a real step.',
  taskName: 'SlipwayFixtureV1',
  taskId: '00000000-0000-4000-8000-000000000002',
  taskVersion: { major: 1, minor: 2, patch: 3 },
  groups: [],
  branding: { icon: 'anchor', color: 'blue' },
  inputs: [
    { name: 'token', type: 'string', secret: true, description: 'A token.', default: '${{ github.token }}' },
    { name: 'lines', type: 'lines', description: 'Some lines.', example: 'a=1' },
  ],
  outputs: [{ name: 'result', description: 'The result.' }],
};

describe('a step with a post phase', () => {
  const spec: StepSpec = { ...base, postPhase: true };
  const files = generatedFiles([spec]);

  it('action.yml runs post.mjs after the job, whatever happened', () => {
    expect(parseYaml(renderActionYml(spec)).runs).toEqual({ using: 'node24', main: 'main.mjs', post: 'post.mjs', 'post-if': 'always()' });
  });

  it('post.mjs runs the post phase of the step from the shared bundle', () => {
    expect(files.get('actions/fixture/post.mjs')).toBe(
      "// Generated from the 'fixture' step spec by `npm run generate`. Do not edit: change the spec in packages/core instead.\n" +
        "import { runGitHubAction } from '../_bundle/slipway.mjs';\n\nawait runGitHubAction('fixture', 'post');\n",
    );
    expect(files.get('actions/fixture/main.mjs')).toContain("await runGitHubAction('fixture');");
  });

  it('task.json has post-job handlers on Node24 and Node20_1 running post.js', () => {
    const task = JSON.parse(renderTaskJson(spec));
    expect(task.postjobexecution).toEqual({ Node24: { target: 'post.js' }, Node20_1: { target: 'post.js' } });
    expect(task.execution).toEqual({ Node24: { target: 'index.js' }, Node20_1: { target: 'index.js' } });
  });

  it('post.js is index.js calling the post phase', () => {
    const index = files.get('tasks/SlipwayFixtureV1/index.js') as string;
    const post = files.get('tasks/SlipwayFixtureV1/post.js') as string;
    expect(index).toContain("require(bundle).runAzurePipelinesTask('fixture');");
    expect(post).toBe(index.replace("runAzurePipelinesTask('fixture')", "runAzurePipelinesTask('fixture', 'post')"));
  });

  it('a step without one gets no post entries and no post keys', () => {
    const plain = generatedFiles([base]);
    expect([...plain.keys()].filter((file) => file.includes('post'))).toEqual([]);
    expect(parseYaml(renderActionYml(base)).runs).toEqual({ using: 'node24', main: 'main.mjs' });
    expect(JSON.parse(renderTaskJson(base)).postjobexecution).toBeUndefined();
  });
});

describe('expressions in generated metadata', () => {
  it('are kept in input defaults, where the runner evaluates them', () => {
    expect(parseYaml(renderActionYml(base)).inputs.token.default).toBe('${{ github.token }}');
    expect(JSON.parse(renderTaskJson(base)).inputs[0].defaultValue).toBe('${{ github.token }}');
  });

  it.each([
    [
      'an input example',
      { ...base, inputs: [{ name: 'secrets', type: 'lines', description: 'Secrets.', example: 'npm_token=${{ secrets.NPM_TOKEN }}' }] },
      "input 'secrets'",
      'inputs.secrets.description',
    ],
    [
      'an input description',
      { ...base, inputs: [{ name: 'ref', type: 'string', description: 'Defaults to ${{ github.ref }}.' }] },
      "input 'ref'",
      'inputs.ref.description',
    ],
    ['an output description', { ...base, outputs: [{ name: 'url', description: 'Like ${{ env.URL }}' }] }, "output 'url'", 'outputs.url.description'],
    ['the step description', { ...base, description: 'Uses ${{ vars.X }}.' }, 'its metadata', 'action.yml description'],
  ] satisfies Array<[string, StepSpec, string, string]>)('are refused in %s, naming the step and where', (_, spec, subject, where) => {
    expect(() => renderActionYml(spec)).toThrow(`step 'fixture': ${subject}`);
    expect(() => renderActionYml(spec)).toThrow(where);
  });

  it('are refused in task.json too, naming the input', () => {
    const spec: StepSpec = { ...base, inputs: [{ name: 'build-args', type: 'map', description: 'Args.', example: 'A=${{ vars.A }}' }] };
    expect(() => renderTaskJson(spec)).toThrow("step 'fixture': input 'buildArgs' puts an expression");
    expect(() => renderTaskJson(spec)).toThrow('task.json inputs.buildArgs.helpMarkDown');
  });

  it('generation stops at the first offending spec, so nothing half-written is produced', () => {
    const bad: StepSpec = { ...base, id: 'bad', inputs: [{ name: 'x', type: 'string', description: '${{ x }}' }] };
    expect(() => generatedFiles([base, bad])).toThrow("step 'bad': input 'x'");
  });
});

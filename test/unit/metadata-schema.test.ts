/**
 * Every generated action.yml and task.json validated against the published schemas (copies under
 * test/fixtures/schemas/, see its README): SchemaStore's github-action.json and azure-pipelines-task-lib's
 * tasks.schema.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv07, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { steps, type StepSpec } from '@slipway/core';
import { generatedFiles, renderActionYml, renderTaskJson } from '../../scripts/metadata.ts';

const schemas = path.resolve(import.meta.dirname, '../fixtures/schemas');
const load = (file: string) => JSON.parse(readFileSync(path.join(schemas, file), 'utf8')) as Record<string, any>;

/**
 * Both stored schemas predate the runtimes Slipway declares: SchemaStore's copy allows `using: node12 |
 * node16` only (node20 and node24 came with actions/runner v2.308.0 and v2.327.1), and the task-lib copy
 * knows no `Node20_1` (added upstream by microsoft/azure-pipelines-task-lib#1075) nor `Node24` (the
 * agent's handler since 4.x; microsoft/azure-pipelines-task-lib#1133 was closed unmerged). This adds
 * exactly those names and nothing else; a test below shows they are the only difference it makes.
 */
function withCurrentRuntimes(action: Record<string, any>, task: Record<string, any>) {
  const actionSchema = structuredClone(action);
  actionSchema.definitions['runs-javascript'].properties.using.enum.push('node20', 'node24');
  const taskSchema = structuredClone(task);
  for (const phase of ['prejobexecution', 'execution', 'postjobexecution']) {
    for (const handler of ['Node20_1', 'Node24']) taskSchema.properties[phase].properties[handler] = { $ref: '#/definitions/executionObject' };
  }
  return { actionSchema, taskSchema };
}

const published = { action: load('github-action.json'), task: load('tasks.schema.json') };
const buildSpec = Object.values(steps).find((step) => step.spec.id === 'build')?.spec as StepSpec;
const current = withCurrentRuntimes(published.action, published.task);

function compile(kind: 'action' | 'task', schema: Record<string, any>): ValidateFunction {
  // allErrors so a failure lists every problem of the file at once. The task schema's pattern
  // `^connectedService\:.+$` escapes a colon, which is an error under the `u` flag Ajv uses by default.
  return kind === 'action'
    ? new Ajv07({ allErrors: true, strict: false }).compile(schema)
    : new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
}

const validateAction = compile('action', current.actionSchema);
const validateTask = compile('task', current.taskSchema);

function problems(validate: ValidateFunction, document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** A spec with a post phase and every input type, standing in for the steps that will declare one. */
const postFixture: StepSpec = {
  id: 'fixture-post',
  title: 'Fixture with a post phase',
  description: 'Exercises post-phase rendering. Not a real step.',
  taskName: 'SlipwayFixturePostV1',
  taskId: '00000000-0000-4000-8000-000000000001',
  taskVersion: { major: 1, minor: 0, patch: 0 },
  groups: [{ name: 'main', displayName: 'Main' }],
  postPhase: true,
  branding: { icon: 'anchor', color: 'blue' },
  inputs: [
    { name: 'token', type: 'string', secret: true, group: 'main', description: 'A token.', default: '${{ github.token }}' },
    { name: 'mode', type: 'enum', allowed: ['a', 'b'], default: 'a', description: 'A mode.' },
    { name: 'items', type: 'list', description: 'Items.', example: 'x,y' },
    { name: 'dry-run', type: 'boolean', default: 'true', description: 'Dry run.' },
  ],
  outputs: [{ name: 'result', description: 'The result.' }],
};

describe('generated metadata against the published schemas', () => {
  const files = generatedFiles();

  it.each([...files.keys()].filter((file) => file.endsWith('/action.yml')))('%s is a valid action metadata file', (file) => {
    expect(problems(validateAction, parseYaml(files.get(file) as string))).toEqual([]);
  });

  it.each([...files.keys()].filter((file) => file.endsWith('/task.json')))('%s is a valid task.json', (file) => {
    expect(problems(validateTask, JSON.parse(files.get(file) as string))).toEqual([]);
  });

  it('the committed files are the ones validated (no drift between them)', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    for (const step of Object.values(steps)) {
      for (const file of [`actions/${step.spec.id}/action.yml`, `tasks/${step.spec.taskName}/task.json`]) {
        expect(readFileSync(path.join(root, file), 'utf8'), file).toBe(files.get(file));
      }
    }
  });

  it('a step with a post phase renders valid metadata too', () => {
    expect(problems(validateAction, parseYaml(renderActionYml(postFixture)))).toEqual([]);
    expect(problems(validateTask, JSON.parse(renderTaskJson(postFixture)))).toEqual([]);
  });

  it('rejects a multiLine input whose resizable is the string "true" (the schema wants a boolean)', () => {
    const task = JSON.parse(renderTaskJson(buildSpec));
    const multiLine = task.inputs.find((input: { type: string }) => input.type === 'multiLine');
    expect(multiLine.properties.resizable).toBe(true);
    multiLine.properties.resizable = 'true';
    expect(problems(validateTask, task).join('\n')).toContain('/properties/resizable must be boolean');
  });

  it('rejects an action whose input lacks `required`, and a runtime GitHub does not know', () => {
    const action = parseYaml(renderActionYml(buildSpec));
    delete action.inputs.image.required;
    action.runs.using = 'node22';
    const found = problems(validateAction, action).join('\n');
    expect(found).toContain("/inputs/image must have required property 'required'");
    expect(found).toContain('/runs/using must be equal to one of the allowed values');
  });

  it('the runtime names are the only thing the stored schemas lack', () => {
    const verbatimAction = compile('action', published.action);
    const verbatimTask = compile('task', published.task);
    for (const step of Object.values(steps)) {
      const actionErrors = problems(verbatimAction, parseYaml(renderActionYml(step.spec)));
      expect(actionErrors.length).toBeGreaterThan(0);
      for (const error of actionErrors) expect(error).toMatch(/^\/runs(\/using)? /);
      const taskErrors = problems(verbatimTask, JSON.parse(renderTaskJson(step.spec)));
      // A post-job handler names the same runtimes (aks-context's).
      const handlers = step.spec.postPhase ? ['/execution', '/postjobexecution'] : ['/execution'];
      expect(taskErrors.map((error) => error.replace(/ {.*/, ''))).toEqual(
        handlers.flatMap((handler) => [`${handler} must NOT have additional properties`, `${handler} must NOT have additional properties`]),
      );
      expect(taskErrors.join('\n')).toContain('"additionalProperty":"Node24"');
      expect(taskErrors.join('\n')).toContain('"additionalProperty":"Node20_1"');
    }
  });
});

/**
 * Everything under actions/ and tasks/ that is derived from the step specs: action.yml and its entry,
 * task.json and its entry, and the extension manifest. `npm run generate` writes these files; the
 * drift test compares the committed ones with this output.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { camelCase, steps, type HostKind, type InputSpec, type StepSpec } from '@slipway/core';

const rootPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const header = (spec: StepSpec) =>
  `Generated from the '${spec.id}' step spec by \`npm run generate\`. Do not edit: change the spec in packages/core instead.`;

export function renderActionYml(spec: StepSpec): string {
  const inputs: Record<string, Record<string, unknown>> = {};
  for (const input of spec.inputs.filter((candidate) => offeredBy(candidate, 'github'))) {
    inputs[input.name] = {
      description: describeInput(input),
      required: input.required ?? false,
      ...(input.default !== undefined ? { default: input.default } : {}),
    };
  }
  const outputs: Record<string, { description: string }> = {};
  for (const output of spec.outputs) outputs[output.name] = { description: output.description };
  const document = {
    name: spec.title,
    description: spec.description,
    author: 'Slipway',
    branding: spec.branding,
    inputs,
    outputs,
    runs: { using: 'node24', main: 'main.mjs' },
  };
  return `# ${header(spec)}\n${stringify(document, { lineWidth: 0 })}`;
}

export function renderActionEntry(spec: StepSpec): string {
  return `// ${header(spec)}\nimport { runGitHubAction } from '../_bundle/slipway.mjs';\n\nawait runGitHubAction('${spec.id}');\n`;
}

function offeredBy(input: InputSpec, host: HostKind): boolean {
  return input.hosts === undefined || input.hosts.includes(host);
}

function taskInputType(input: InputSpec): string {
  switch (input.type) {
    case 'boolean':
      return 'boolean';
    case 'enum':
      return 'pickList';
    case 'list':
    case 'lines':
    case 'map':
    case 'multiline':
      return 'multiLine';
    default:
      return 'string';
  }
}

export function renderTaskJson(spec: StepSpec): string {
  const task = {
    $schema: 'https://raw.githubusercontent.com/Microsoft/azure-pipelines-task-lib/master/tasks.schema.json',
    id: spec.taskId,
    name: spec.taskName.replace(/V\d+$/, ''),
    friendlyName: spec.title,
    description: spec.description.split('. ')[0],
    helpMarkDown: `${spec.description} Generated from the Slipway step spec; exit codes: 0 ok, 1 gate failed, 2 invalid input, 3 environment error, 4 needs a human.`,
    category: 'Deploy',
    author: 'Slipway',
    version: { Major: spec.taskVersion.major, Minor: spec.taskVersion.minor, Patch: spec.taskVersion.patch },
    minimumAgentVersion: '3.232.1',
    instanceNameFormat: spec.title,
    groups: spec.groups.map((group) => ({ name: group.name, displayName: group.displayName, isExpanded: group.isExpanded ?? false })),
    inputs: spec.inputs.filter((input) => offeredBy(input, 'azure-pipelines')).map((input) => ({
      name: camelCase(input.name),
      type: input.taskInputType ?? taskInputType(input),
      label: labelOf(input.name),
      required: input.required ?? false,
      ...(input.default !== undefined ? { defaultValue: input.default } : {}),
      ...(input.group ? { groupName: input.group } : {}),
      ...(input.visibleRule ? { visibleRule: input.visibleRule } : {}),
      helpMarkDown: describeInput(input),
      ...(input.type === 'enum' && input.allowed
        ? { options: Object.fromEntries(input.allowed.map((value) => [value, value])), properties: { EditableOptions: 'False' } }
        : {}),
      ...(taskInputType(input) === 'multiLine' ? { properties: { resizable: 'true', rows: '3' } } : {}),
    })),
    outputVariables: spec.outputs.map((output) => ({ name: camelCase(output.name), description: output.description })),
    execution: {
      Node24: { target: 'index.js' },
      Node20_1: { target: 'index.js' },
    },
  };
  return `${JSON.stringify(task, null, 2)}\n`;
}

export function renderTaskEntry(spec: StepSpec): string {
  return [
    `// ${header(spec)}`,
    "const fs = require('node:fs');",
    "const path = require('node:path');",
    '',
    '// Packaged extensions carry the bundle inside each task folder; the repository shares one.',
    "const local = path.join(__dirname, '_bundle', 'slipway.cjs');",
    "const bundle = fs.existsSync(local) ? local : path.join(__dirname, '..', '_bundle', 'slipway.cjs');",
    `require(bundle).runAzurePipelinesTask('${spec.id}');`,
    '',
  ].join('\n');
}

export function renderVssExtension(specs: readonly StepSpec[]): string {
  const extension = {
    manifestVersion: 1,
    id: 'slipway',
    publisher: 'slipway',
    version: rootPackage.version,
    name: 'Slipway',
    description: 'Build, scan, push to ACR and canary-deploy to AKS with automatic rollback.',
    categories: ['Azure Pipelines'],
    targets: [{ id: 'Microsoft.VisualStudio.Services' }],
    files: specs.map((spec) => ({ path: spec.taskName })),
    contributions: specs.map((spec) => ({
      id: `${spec.id}-task`,
      type: 'ms.vss-distributed-task.task',
      targets: ['ms.vss-distributed-task.tasks'],
      properties: { name: spec.taskName },
    })),
  };
  return `${JSON.stringify(extension, null, 2)}\n`;
}

/** Path (relative to the repository root) -> content, for every generated file. */
export function generatedFiles(): Map<string, string> {
  const specs = Object.values(steps).map((step) => step.spec);
  const files = new Map<string, string>();
  for (const spec of specs) {
    files.set(`actions/${spec.id}/action.yml`, renderActionYml(spec));
    files.set(`actions/${spec.id}/main.mjs`, renderActionEntry(spec));
    files.set(`tasks/${spec.taskName}/task.json`, renderTaskJson(spec));
    files.set(`tasks/${spec.taskName}/index.js`, renderTaskEntry(spec));
  }
  files.set('tasks/package.json', `${JSON.stringify({ private: true, type: 'commonjs' }, null, 2)}\n`);
  files.set('tasks/vss-extension.json', renderVssExtension(specs));
  return files;
}

function describeInput(input: InputSpec): string {
  const parts = [input.description];
  if (input.allowed && input.type === 'list') parts.push(`Any of: ${input.allowed.join(', ')}.`);
  if (input.example) parts.push(input.example.includes('\n') ? `Example:\n${input.example}` : `Example: ${input.example}`);
  return parts.join(' ');
}

function labelOf(name: string): string {
  const words = name.split('-');
  return [words[0] ? words[0][0]?.toUpperCase() + words[0].slice(1) : '', ...words.slice(1)].join(' ');
}

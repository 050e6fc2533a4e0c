/**
 * Everything under actions/ and tasks/ that is derived from the step specs: action.yml and its entry,
 * task.json and its entry, and the extension manifest. `npm run generate` writes these files; the
 * drift test compares the committed ones with this output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { stringify } from 'yaml';
import { camelCase, steps, summariseExitCodes, type HostKind, type InputSpec, type StepSpec } from '@slipway/core';

const rootPackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const header = (spec: StepSpec) => `Generated from the '${spec.id}' step spec by \`npm run generate\`. Do not edit: change the spec in packages/core instead.`;

/**
 * The GitHub runner parses every `${{ }}` in a JavaScript action's action.yml and allows an expression
 * context only in input defaults; anywhere else the action fails to load (nektos/act: "expressions are
 * not allowed here"). task.json gets the same descriptions, where GitHub syntax would only mislead.
 */
const expressionAllowedIn = new Set(['default', 'defaultValue']);

/**
 * Throws when a string of a generated metadata document holds `${{` anywhere but in a default value,
 * naming the step, the input (or output) and the field.
 */
export function assertNoExpressions(spec: StepSpec, file: string, document: unknown): void {
  const visit = (value: unknown, trail: readonly string[]): void => {
    if (typeof value === 'string') {
      const key = trail[trail.length - 1] ?? '';
      if (value.includes('${{') && !expressionAllowedIn.has(key)) {
        throw new Error(
          `step '${spec.id}': ${subjectOf(trail)} puts an expression ("\${{") in ${file} ${trail.join('.')}: ` +
            `the GitHub runner allows \${{ }} in action metadata only in input defaults. ` +
            `Write the example or description without it (e.g. <token value>).`,
        );
      }
    } else if (Array.isArray(value)) {
      // Array items named by their `name` (task.json inputs), so the message points at the input.
      for (const [index, item] of value.entries()) visit(item, [...trail, nameOf(item) ?? String(index)]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...trail, key]);
    }
  };
  visit(document, []);
}

function nameOf(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const name = (item as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function subjectOf(trail: readonly string[]): string {
  const [section, name] = trail;
  if (section === 'inputs' && name) return `input '${name}'`;
  if ((section === 'outputs' || section === 'outputVariables') && name) return `output '${name}'`;
  return 'its metadata';
}

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
    runs: {
      using: 'node24',
      main: 'main.mjs',
      // Cleanup must run even when the main phase failed or the job was cancelled.
      ...(spec.postPhase ? { post: 'post.mjs', 'post-if': 'always()' } : {}),
    },
  };
  assertNoExpressions(spec, 'action.yml', document);
  return `# ${header(spec)}\n${stringify(document, { lineWidth: 0 })}`;
}

export function renderActionEntry(spec: StepSpec): string {
  return `// ${header(spec)}\nimport { runGitHubAction } from '../_bundle/slipway.mjs';\n\nawait runGitHubAction('${spec.id}');\n`;
}

/** actions/<id>/post.mjs, for steps with a post phase. */
export function renderActionPostEntry(spec: StepSpec): string {
  return `// ${header(spec)}\nimport { runGitHubAction } from '../_bundle/slipway.mjs';\n\nawait runGitHubAction('${spec.id}', 'post');\n`;
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
    helpMarkDown: `${spec.description} Generated from the Slipway step spec; exit codes: ${summariseExitCodes()}.`,
    category: 'Deploy',
    author: 'Slipway',
    version: { Major: spec.taskVersion.major, Minor: spec.taskVersion.minor, Patch: spec.taskVersion.patch },
    minimumAgentVersion: '3.232.1',
    instanceNameFormat: spec.title,
    groups: spec.groups.map((group) => ({ name: group.name, displayName: group.displayName, isExpanded: group.isExpanded ?? false })),
    inputs: spec.inputs
      .filter((input) => offeredBy(input, 'azure-pipelines'))
      .map((input) => ({
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
        // tasks.schema.json: `resizable` is a boolean, `rows` a string of digits.
        ...(taskInputType(input) === 'multiLine' ? { properties: { resizable: true, rows: '3' } } : {}),
      })),
    outputVariables: spec.outputs.map((output) => ({ name: camelCase(output.name), description: output.description })),
    execution: {
      Node24: { target: 'index.js' },
      Node20_1: { target: 'index.js' },
    },
    // Post-job handlers run once the job's steps are done: the agent's counterpart of GitHub's post:.
    ...(spec.postPhase
      ? {
          postjobexecution: {
            Node24: { target: 'post.js' },
            Node20_1: { target: 'post.js' },
          },
        }
      : {}),
  };
  assertNoExpressions(spec, 'task.json', task);
  return `${JSON.stringify(task, null, 2)}\n`;
}

export function renderTaskEntry(spec: StepSpec): string {
  return taskEntry(spec, `runAzurePipelinesTask('${spec.id}')`);
}

/** tasks/<Task>/post.js, for steps with a post phase: the same bundle lookup, the post phase. */
export function renderTaskPostEntry(spec: StepSpec): string {
  return taskEntry(spec, `runAzurePipelinesTask('${spec.id}', 'post')`);
}

/**
 * actions/<id>/kube-token.mjs, for steps whose kubeconfigs run Slipway's credential plugin: kubectl starts it
 * in later steps as `node <this file> --config <file>`. It loads the bundle's own kube-token entry, not the
 * action's, and prints nothing but the ExecCredential on stdout.
 */
export function renderActionKubeTokenEntry(spec: StepSpec): string {
  return `// ${header(spec)}\nimport { runKubeTokenPlugin } from '../_bundle/kube-token.mjs';\n\nprocess.exitCode = await runKubeTokenPlugin(process.argv.slice(2));\n`;
}

/**
 * tasks/<Task>/kube-token.js: the same for a task, outside the task-lib (which prints `##vso[task.debug]`
 * lines on stdout as it loads, and stdout is kubectl's to parse).
 */
export function renderTaskKubeTokenEntry(spec: StepSpec): string {
  return [
    `// ${header(spec)}`,
    "const fs = require('node:fs');",
    "const path = require('node:path');",
    '',
    "const local = path.join(__dirname, '_bundle', 'kube-token.cjs');",
    "const bundle = fs.existsSync(local) ? local : path.join(__dirname, '..', '_bundle', 'kube-token.cjs');",
    'require(bundle)',
    '  .runKubeTokenPlugin(process.argv.slice(2))',
    '  .then((code) => {',
    '    process.exitCode = code;',
    '  });',
    '',
  ].join('\n');
}

function taskEntry(spec: StepSpec, call: string): string {
  return [
    `// ${header(spec)}`,
    "const fs = require('node:fs');",
    "const path = require('node:path');",
    '',
    '// Packaged extensions carry the bundle inside each task folder; the repository shares one.',
    "const local = path.join(__dirname, '_bundle', 'slipway.cjs');",
    "const bundle = fs.existsSync(local) ? local : path.join(__dirname, '..', '_bundle', 'slipway.cjs');",
    `require(bundle).${call};`,
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

/** Path (relative to the repository root) -> content, for every generated file of these specs. */
export function generatedFiles(specs: readonly StepSpec[] = Object.values(steps).map((step) => step.spec)): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of specs) {
    files.set(`actions/${spec.id}/action.yml`, renderActionYml(spec));
    files.set(`actions/${spec.id}/main.mjs`, renderActionEntry(spec));
    if (spec.postPhase) files.set(`actions/${spec.id}/post.mjs`, renderActionPostEntry(spec));
    files.set(`tasks/${spec.taskName}/task.json`, renderTaskJson(spec));
    files.set(`tasks/${spec.taskName}/index.js`, renderTaskEntry(spec));
    if (spec.postPhase) files.set(`tasks/${spec.taskName}/post.js`, renderTaskPostEntry(spec));
    if (spec.kubeTokenPlugin) {
      files.set(`actions/${spec.id}/kube-token.mjs`, renderActionKubeTokenEntry(spec));
      files.set(`tasks/${spec.taskName}/kube-token.js`, renderTaskKubeTokenEntry(spec));
    }
  }
  files.set('tasks/package.json', `${JSON.stringify({ private: true, type: 'commonjs' }, null, 2)}\n`);
  files.set('tasks/vss-extension.json', renderVssExtension(specs));
  files.set(uplotSourceFile, renderUplotSource());
  return files;
}

/** Where the inlined copy of uPlot lives, for the run report's charts. */
export const uplotSourceFile = 'packages/core/src/report/uplot-source.generated.ts';

/**
 * packages/core/src/report/uplot-source.generated.ts: uPlot's minified browser build and stylesheet as
 * string constants, so the HTML report inlines them without reading node_modules at run time (the
 * esbuild bundles have no node_modules beside them). Bumping uplot in packages/core/package.json makes
 * the committed file stale, which the drift test reports.
 */
export function renderUplotSource(): string {
  // Resolved from packages/core, whose dependency it is, wherever npm hoisted it.
  const requireFromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
  const dir = path.dirname(requireFromCore.resolve('uplot/package.json'));
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  const { version } = JSON.parse(read('package.json')) as { version: string };
  const script = read('dist/uPlot.iife.min.js').trim();
  const css = read('dist/uPlot.min.css').trim();
  const license = read('LICENSE').trim();
  // Inlined into <script> and <style> elements, whose content ends at the first `</script` or `</style`
  // (whatever the case); an `<!--` in a script changes how the parser looks for that end.
  for (const [name, text, forbidden] of [
    ['uPlot.iife.min.js', script, /<\/script|<!--/i],
    ['uPlot.min.css', css, /<\/style/i],
  ] as const) {
    const found = forbidden.exec(text);
    if (found)
      throw new Error(`uplot@${version} ${name} holds ${JSON.stringify(found[0])}, which would end its inline element early: escape it before inlining`);
  }
  // JSON string literals are valid TypeScript string literals, quotes, backslashes and all.
  return [
    `// Generated from uplot@${version} (its dist/ and LICENSE) by \`npm run generate\`. Do not edit: change the uplot version in packages/core/package.json instead.`,
    '',
    '/** The version of uPlot inlined into the run report. */',
    `export const uplotVersion = ${JSON.stringify(version)};`,
    '',
    "/** uPlot's licence, which must accompany every copy of its code: the report carries it in a comment. */",
    `export const uplotLicense = ${JSON.stringify(license)};`,
    '',
    "/** uPlot's minified browser build (dist/uPlot.iife.min.js): defines the global `uPlot`. */",
    `export const uplotScript = ${JSON.stringify(script)};`,
    '',
    "/** uPlot's stylesheet (dist/uPlot.min.css). */",
    `export const uplotCss = ${JSON.stringify(css)};`,
    '',
  ].join('\n');
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

import { summariseExitCodes, type InputSpec, type StepSpec } from '@slipway/core';

/** `slipway <step> --help`: every input, its form, default and allowed values, from the spec. */
export function renderStepHelp(fullSpec: StepSpec): string {
  const spec = { ...fullSpec, inputs: fullSpec.inputs.filter((input) => !input.hosts || input.hosts.includes('cli')) };
  const lines = [`slipway ${spec.id} — ${spec.description}`, '', `Usage: slipway ${spec.id} [--input value ...] [--json]`, ''];
  for (const group of spec.groups) {
    const inputs = spec.inputs.filter((input) => input.group === group.name);
    if (inputs.length === 0) continue;
    lines.push(`${group.displayName}:`);
    for (const input of inputs) lines.push(...renderInput(input));
    lines.push('');
  }
  const ungrouped = spec.inputs.filter((input) => !spec.groups.some((group) => group.name === input.group));
  if (ungrouped.length > 0) {
    lines.push('Inputs:');
    for (const input of ungrouped) lines.push(...renderInput(input));
    lines.push('');
  }
  lines.push('Outputs (printed with --json):');
  for (const output of spec.outputs) lines.push(`  ${output.name.padEnd(22)} ${output.description}`);
  lines.push(
    '',
    'Global flags:',
    '  --json[=true|false]    print the step result as JSON on stdout (errors included)',
    '  --help, -h             show this help',
    '  --version, -V          print the version',
    '',
    'A value that starts with -- is given as --name=value.',
  );
  lines.push('', `Exit codes: ${summariseExitCodes()}.`);
  return lines.join('\n');
}

function renderInput(input: InputSpec): string[] {
  const flag = `  --${input.name}${input.type === 'boolean' ? '' : ` <${placeholder(input)}>`}`;
  const facts = [
    input.required ? 'required' : undefined,
    input.default !== undefined ? `default: ${input.default}` : undefined,
    input.allowed ? `one of: ${input.allowed.join(', ')}` : undefined,
    input.secret ? 'secret' : undefined,
    input.type === 'list' || input.type === 'lines' || input.type === 'map' ? 'repeatable' : undefined,
  ].filter(Boolean);
  const out = [flag, `      ${input.description}`];
  if (facts.length > 0) out.push(`      (${facts.join('; ')})`);
  if (input.example) out.push(`      e.g. ${input.example.split('\n').join('\n           ')}`);
  return out;
}

function placeholder(input: InputSpec): string {
  switch (input.type) {
    case 'integer':
      return 'n';
    case 'duration':
      return 'duration';
    case 'map':
      return 'KEY=VALUE';
    case 'enum':
      return (input.allowed ?? []).join('|');
    case 'multiline':
      return 'text';
    default:
      return 'value';
  }
}

export function renderGlobalHelp(steps: readonly StepSpec[], version: string): string {
  return [
    `slipway ${version} — build, scan, push and deploy to AKS, the same as in GitHub Actions and Azure Pipelines.`,
    '',
    'Usage: slipway <step> [--input value ...] [--json]',
    '',
    'Steps:',
    ...steps.map((spec) => `  ${spec.id.padEnd(14)} ${spec.description.split('. ')[0]}`),
    '',
    'Run `slipway <step> --help` for the inputs of a step.',
  ].join('\n');
}

import { InputError, type StepSpec } from '@slipway/core';

export interface ParsedArgv {
  command: 'help' | 'version' | 'step';
  stepId?: string;
  /** Raw input values by kebab-case name; repeated flags of list types are joined with newlines. */
  inputs: Map<string, string>;
  json: boolean;
  help: boolean;
}

/** Global flags that are not step inputs. */
const globalFlags = new Set(['json', 'help', 'version']);

/**
 * `slipway <step> --input value --input=value --flag [--json] [--help]`. Every flag must be an input of
 * the step; a boolean flag without a value means true. Values are data: nothing is expanded.
 */
export function parseArgv(argv: readonly string[], findSpec: (id: string) => StepSpec | undefined): ParsedArgv {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { command: 'help', inputs: new Map(), json: false, help: true, ...(rest[0] ? { stepId: rest[0] } : {}) };
  }
  if (first === '--version' || first === '-V') return { command: 'version', inputs: new Map(), json: false, help: false };
  const spec = findSpec(first);
  if (!spec) throw new InputError('command', `unknown step '${first}'`, { hint: 'run `slipway --help` for the list of steps' });

  const inputs = new Map<string, string>();
  let json = false;
  let help = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new InputError(first, `unexpected argument ${JSON.stringify(arg)}`, { hint: 'inputs are given as --name value' });
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (globalFlags.has(name)) {
      if (name === 'json') json = true;
      if (name === 'help') help = true;
      continue;
    }
    const input = spec.inputs.find((candidate) => candidate.name === name && (!candidate.hosts || candidate.hosts.includes('cli')));
    if (!input) {
      throw new InputError(name, `'${spec.id}' has no such input`, { hint: `run \`slipway ${spec.id} --help\` to list its inputs` });
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (input.type === 'boolean' && (rest[i + 1] === undefined || rest[i + 1]?.startsWith('--') || !/^(true|false)$/i.test(rest[i + 1] ?? ''))) value = 'true';
    else {
      const next = rest[i + 1];
      if (next === undefined) throw new InputError(name, 'needs a value', { hint: `--${name} <value>` });
      value = next;
      i++;
    }
    const repeatable = input.type === 'list' || input.type === 'lines' || input.type === 'map';
    const previous = inputs.get(name);
    if (previous !== undefined && !repeatable) throw new InputError(name, 'is given twice');
    inputs.set(name, previous === undefined ? value : `${previous}\n${value}`);
  }
  return { command: 'step', stepId: spec.id, inputs, json, help };
}

import { ExitCode, nearestWord, SlipwayError, type InputSpec, type StepSpec } from '@slipway/core';

/** One thing wrong with the command line. `input` names the step input it is about, when it is about one. */
export interface CommandLineProblem {
  readonly message: string;
  readonly hint?: string;
  readonly input?: string;
}

export interface ParsedArgv {
  command: 'help' | 'version' | 'step';
  /** The step to run, or whose help to show. */
  stepId?: string;
  /** Raw input values by kebab-case name; repeated flags of list types are joined with newlines. */
  inputs: Map<string, string>;
  /** `--json` was given (and not `--json=false`): even a command line with problems answers in JSON. */
  json: boolean;
  help: boolean;
  /** Everything wrong with the command line, in the order found; the command runs only when empty. */
  problems: CommandLineProblem[];
}

/**
 * The command line could not be used (exit 2, nothing was run). Every problem is listed, one per line;
 * the code is INPUT_INVALID, as for any other invalid input.
 */
export class CommandLineError extends SlipwayError {
  readonly problems: readonly CommandLineProblem[];

  constructor(problems: readonly CommandLineProblem[]) {
    const only = problems.length === 1 ? problems[0] : undefined;
    const lines = problems.map((problem) => (only || !problem.hint ? problem.message : `${problem.message} (hint: ${problem.hint})`));
    super('INPUT_INVALID', lines.join('\n'), ExitCode.invalidInput, { hint: only?.hint });
    this.problems = [...problems];
  }
}

/** Flags of the CLI itself, valid before or after the step. Each is a strict boolean: `--json`, `--json=true|false`. */
const globalFlags = ['json', 'help', 'version'] as const;
type GlobalFlag = (typeof globalFlags)[number];
const shortFlags: Readonly<Record<string, GlobalFlag>> = { '-h': 'help', '-V': 'version' };

/**
 * `slipway <step> --input value --input=value --flag [--json] [--help]`, `slipway help [step]`,
 * `slipway --version`. Every option after the step must be one of its inputs or a global flag; a
 * boolean input without a value means true. Values are data: nothing is expanded. Nothing is thrown:
 * every problem is collected, so that one run reports them all (and `--json` still answers in JSON).
 */
export function parseArgv(argv: readonly string[], findSpec: (id: string) => StepSpec | undefined): ParsedArgv {
  const problems: CommandLineProblem[] = [];
  const flags: Record<GlobalFlag, boolean> = { json: false, help: false, version: false };
  const inputs = new Map<string, string>();
  let command: ParsedArgv['command'] = 'step';
  let spec: StepSpec | undefined;
  let stepId: string | undefined;
  let sawCommand = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const global = readGlobalFlag(arg);
    if (global) {
      if (global.problem) problems.push(global.problem);
      else flags[global.flag] = global.value;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (!sawCommand) {
        sawCommand = true;
        if (arg === 'help') {
          command = 'help';
          continue;
        }
        spec = findSpec(arg);
        stepId = arg;
        if (!spec) problems.push(unknownStep(arg));
        continue;
      }
      if (command === 'help' && stepId === undefined) {
        stepId = arg;
        if (!findSpec(arg)) problems.push(unknownStep(arg));
        continue;
      }
      problems.push({ message: `unexpected argument ${quote(arg)}`, hint: 'inputs are given as --name value' });
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (!(sawCommand && command === 'step' && !spec)) problems.push(unknownOption(arg, spec));
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const input = spec?.inputs.find((candidate) => candidate.name === name && offeredOnCli(candidate));
    if (!input) {
      // Unknown or misplaced (inputs follow the step): report it, and pass over what looks like its value.
      // After an unknown step every option is unknown; that step is the one problem worth reporting.
      const stepUnknown = sawCommand && command === 'step' && !spec;
      if (!stepUnknown) problems.push(sawCommand ? unknownOption(`--${name}`, spec) : misplacedOption(name));
      if (eq === -1 && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) i++;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (input.type === 'boolean') {
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/i.test(next)) {
        value = next;
        i++;
      } else value = 'true';
    } else {
      const next = argv[i + 1];
      // `--image --json` is a forgotten value, not an image called --json.
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        const hint = `--${name} <value>, or --${name}=<value> for a value that starts with --`;
        problems.push({ input: name, message: `input '${name}': needs a value`, hint });
        continue;
      }
      value = next;
      i++;
    }
    const repeatable = input.type === 'list' || input.type === 'lines' || input.type === 'map';
    const previous = inputs.get(name);
    if (previous !== undefined && !repeatable) {
      problems.push({ input: name, message: `input '${name}': is given twice`, hint: 'give it once' });
      continue;
    }
    inputs.set(name, previous === undefined ? value : `${previous}\n${value}`);
  }

  if (flags.version) command = 'version';
  else if (!sawCommand) command = 'help';
  if (command === 'help') flags.help = true;
  return { command, ...(stepId !== undefined ? { stepId } : {}), inputs, json: flags.json, help: flags.help, problems };
}

function readGlobalFlag(arg: string): { flag: GlobalFlag; value: boolean; problem?: CommandLineProblem } | undefined {
  const short = shortFlags[arg];
  if (short) return { flag: short, value: true };
  const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
  const flag = globalFlags.find((candidate) => candidate === match?.[1]);
  if (!match || !flag) return undefined;
  const raw = match[2];
  if (raw === undefined) return { flag, value: true };
  // Strict, as for boolean inputs: `--json=false` means false, and a typo is an error, never a guess.
  if (/^(true|false)$/i.test(raw)) return { flag, value: raw.toLowerCase() === 'true' };
  const hint = `--${flag}, --${flag}=true or --${flag}=false`;
  return { flag, value: false, problem: { message: `option '--${flag}' takes true or false, not ${quote(raw)}`, hint } };
}

function offeredOnCli(input: InputSpec): boolean {
  return !input.hosts || input.hosts.includes('cli');
}

function unknownStep(id: string): CommandLineProblem {
  return { message: `unknown step ${quote(id)}`, hint: 'run `slipway --help` for the list of steps' };
}

function unknownOption(option: string, spec: StepSpec | undefined): CommandLineProblem {
  const names = spec?.inputs.filter(offeredOnCli).map((input) => input.name) ?? [];
  const close = option.startsWith('--') ? nearestWord(option.slice(2), names) : undefined;
  const owner = spec ? ` for 'slipway ${spec.id}'` : '';
  return {
    message: `unknown option ${quote(option)}${owner}`,
    hint: close ? `did you mean --${close}?` : spec ? `run \`slipway ${spec.id} --help\` to list its inputs` : 'run `slipway --help`',
  };
}

function misplacedOption(name: string): CommandLineProblem {
  return { message: `unknown option ${quote(`--${name}`)} before the step`, hint: `inputs follow the step: slipway <step> --${name} <value>` };
}

/** Quotes a value for a message, escaping line breaks and other invisible characters (it is data). */
function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/'/g, "\\'")}'`;
}

import { type ConfigNode, type ConfigPosition, keyPosition } from '../../config/config-document.ts';
import type { ConfigProblems } from '../../config/config-problems.ts';
import { configSections } from '../../config/config-sections.ts';
import type { ResolvedConfig } from '../../config/resolve-config.ts';
import { InvalidInputsError } from '../../errors/index.ts';
import { type InputProblems, validateStepInputs } from '../../inputs/index.ts';
import type { AnyStepDefinition } from '../framework/step-definition.ts';
import type { ValidationContext } from '../framework/validation-context.ts';
import { findStep } from '../registry.ts';
import type { RunStage } from './run-spec.ts';
import type { StageInputs } from './stage-inputs.ts';

/** Where to report a problem with an input the file does not set: the section that should set it. */
export interface StageHome {
  /** `deploy`, `images.api`, `cluster`. */
  readonly path: string;
  readonly at: ConfigPosition;
  /** Config keys by input name where they differ (`registry` is `login-server` in the file). */
  readonly keyOf?: Readonly<Record<string, string>>;
}

/** The step a stage runs. */
export function stageStep(stage: RunStage): AnyStepDefinition {
  const step = findStep(stage);
  if (!step) throw new Error(`no step '${stage}'`);
  return step;
}

/**
 * Where a stage's unset inputs are reported: its section (`deploy`, `images.api`) where the file has
 * it, else the top of the file; with the section's config keys for inputs it renames.
 */
export function stageHome(config: ResolvedConfig, sectionPath: string): StageHome {
  let node: ConfigNode = config.root;
  for (const part of sectionPath.split('.')) {
    const next = node.kind === 'mapping' ? node.entries.get(part) : undefined;
    if (!next) break;
    node = next;
  }
  const renames = Object.entries(configSections[sectionPath.split('.')[0] as keyof typeof configSections]?.renames ?? {});
  return {
    path: node === config.root ? sectionPath : node.path,
    at: keyPosition(node),
    ...(renames.length > 0 ? { keyOf: Object.fromEntries(renames.map(([key, input]) => [input, key])) } : {}),
  };
}

export interface StageCheck {
  readonly problems: ConfigProblems;
  /** The run's own input problems (an Azure sign-in given on the command line). */
  readonly runProblems: InputProblems;
  readonly context: Omit<ValidationContext, 'problems'>;
}

/**
 * Validates a stage's inputs with the step's own parser and validation (the same rules as the step
 * run alone), and reports each problem where the user wrote the value: the file's line and key, the
 * run's input, or, for a value an earlier stage fills, nowhere when `ignoreChained` (it does not exist
 * yet at validation time; the run validates again once it does). Returns the step's inputs, or
 * undefined when there was any problem.
 */
export async function checkStageInputs(
  step: AnyStepDefinition,
  inputs: StageInputs,
  home: StageHome,
  check: StageCheck,
  options: { ignoreChained: boolean },
): Promise<unknown> {
  try {
    return await validateStepInputs(step, inputs.read, check.context);
  } catch (error) {
    if (!(error instanceof InvalidInputsError)) throw error;
    for (const problem of error.problems) {
      const head = /^[^[.]+/.exec(problem.input)?.[0] ?? problem.input;
      const source = inputs.sourceOf(head);
      if (source?.kind === 'chained') {
        if (!options.ignoreChained) check.runProblems.add(problem.input, `(from ${source.from}) ${problem.message}`, problem.hint);
        continue;
      }
      if (source?.kind === 'run-input') {
        check.runProblems.add(source.input, problem.message, problem.hint);
        continue;
      }
      if (source?.kind === 'file') {
        const found = walk(source.node, problem.input.slice(head.length));
        check.problems.add(found.node.at, found.key, problem.message, problem.hint);
        continue;
      }
      const key = `${home.path}.${home.keyOf?.[head] ?? head}${problem.input.slice(head.length)}`;
      check.problems.add(home.at, key, problem.message, problem.hint);
    }
    return undefined;
  }
}

/** Follows `[1].threshold` into a node as far as the file has it; the key names the whole path. */
function walk(node: ConfigNode, rest: string): { node: ConfigNode; key: string } {
  let current = node;
  let remaining = rest;
  for (;;) {
    const index = /^\[(\d+)\]/.exec(remaining);
    const field = /^\.([^[.]+)/.exec(remaining);
    const next =
      index && current.kind === 'list'
        ? current.items[Number(index[1])]
        : field && current.kind === 'mapping'
          ? current.entries.get(field[1] as string)
          : undefined;
    const step = index?.[0] ?? field?.[0];
    if (!next || !step) return { node: current, key: `${current.path}${remaining}` };
    current = next;
    remaining = remaining.slice(step.length);
  }
}

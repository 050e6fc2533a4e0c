import { errorCodes, SlipwayError } from '../errors/index.ts';
import type { ConfigPosition } from './config-document.ts';

/** One thing wrong in `slipway.yaml`, where it is and under which key (`deploy.metrics[1].threshold`). */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The key path; empty for the document itself. */
  readonly key: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

/** `slipway.yaml:12:5: deploy.strategy: unknown value 'canry'`, the form editors and CI annotations link. */
export function formatConfigProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const text = problem.key ? `${where}: ${problem.key}: ${problem.message}` : `${where}: ${problem.message}`;
  return problem.hint ? `${text} (hint: ${problem.hint})` : text;
}

/**
 * Every problem of a config file, reported together before anything runs (exit 2, like every input
 * problem), each at its file:line:column and key.
 */
export class ConfigInvalidError extends SlipwayError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
    super(
      'CONFIG_INVALID',
      `${problems[0]?.file ?? 'the config'} has ${count}:\n${problems.map(formatConfigProblem).join('\n')}`,
      errorCodes.CONFIG_INVALID.exitCode,
      {
        hint: 'fix each line above; `# yaml-language-server: $schema=…` at the top of the file gives editor completion',
      },
    );
    this.problems = [...problems];
  }
}

/** Collects the problems of one config file; throws them all at once. */
export class ConfigProblems {
  readonly #file: string;
  readonly #problems: ConfigProblem[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  add(at: ConfigPosition, key: string, message: string, hint?: string): void {
    const duplicate = this.#problems.some((p) => p.line === at.line && p.column === at.column && p.key === key && p.message === message);
    if (!duplicate) this.#problems.push({ file: this.#file, line: at.line, column: at.column, key, message, hint });
  }

  get count(): number {
    return this.#problems.length;
  }

  get list(): readonly ConfigProblem[] {
    return [...this.#problems];
  }

  throwIfAny(): void {
    if (this.#problems.length > 0) {
      const sorted = [...this.#problems].sort((a, b) => a.line - b.line || a.column - b.column);
      throw new ConfigInvalidError(sorted);
    }
  }
}

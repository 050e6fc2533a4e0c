import { InputError, InvalidInputsError, type InputProblem } from '../errors/index.ts';

/**
 * Collects every input problem of one step so they are reported together (exit 2, nothing changed):
 * the parser records what it cannot parse, validators record what they refuse, and the step's run
 * begins only when the list is empty. A check written to throw an InputError can still be used through
 * {@link InputProblems.check}.
 */
export class InputProblems {
  readonly #problems: InputProblem[] = [];

  /** Records one problem with one input (`tags`, or a part of one such as `images[2].tags`). */
  add(input: string, message: string, hint?: string): void {
    this.#problems.push({ input, message, ...(hint === undefined ? {} : { hint }) });
  }

  /**
   * Runs a check that reports by throwing: an InputError (or a whole InvalidInputsError) is recorded
   * and `undefined` returned; anything else is not an input problem and propagates.
   */
  check<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (!this.#record(error)) throw error;
      return undefined;
    }
  }

  /** {@link check} for a check that may be asynchronous (a step's validate). */
  async checkAsync<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (!this.#record(error)) throw error;
      return undefined;
    }
  }

  /**
   * True when `input` already has a problem, so a later check can stay quiet instead of piling on
   * (an `image` that failed parsing is empty, and "image is required" would only confuse).
   */
  has(input: string): boolean {
    return this.#problems.some((problem) => problem.input === input);
  }

  get count(): number {
    return this.#problems.length;
  }

  /** The problems so far, in the order they were found. */
  get list(): readonly InputProblem[] {
    return [...this.#problems];
  }

  /** Throws one InvalidInputsError listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.#problems.length > 0) throw new InvalidInputsError(this.#problems);
  }

  #record(error: unknown): boolean {
    if (error instanceof InputError) {
      this.add(error.input, error.problem, error.hint);
      return true;
    }
    if (error instanceof InvalidInputsError) {
      for (const problem of error.problems) {
        if (!this.#problems.includes(problem)) this.add(problem.input, problem.message, problem.hint);
      }
      return true;
    }
    return false;
  }
}

import { errorCodes } from './error-codes.ts';
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

export interface SlipwayErrorOptions {
  /** What the user can do about it, one sentence. */
  hint?: string;
  cause?: unknown;
}

/**
 * Base of every error Slipway raises on purpose. `code` is stable (users grep for it, docs link to it);
 * `hint` says what to do. Only hosts turn an error into a failed step and an exit code.
 */
export class SlipwayError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, exitCode: ExitCodeValue, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = exitCode;
  }
}

/** A user-supplied input is wrong. Raised before anything runs, so nothing was changed. */
export class InputError extends SlipwayError {
  readonly input: string;
  /** The message without the `input 'x': ` prefix, as an {@link InputProblem} holds it. */
  readonly problem: string;

  constructor(input: string, message: string, options: SlipwayErrorOptions = {}) {
    super('INPUT_INVALID', formatInputProblem({ input, message }), errorCodes.INPUT_INVALID.exitCode, options);
    this.input = input;
    this.problem = message;
  }
}

/** One thing wrong with one input. `input` is the input's name, or a part of one (`images[2].tags`). */
export interface InputProblem {
  readonly input: string;
  readonly message: string;
  /** What to do about it, one sentence. */
  readonly hint?: string | undefined;
}

/** `input 'tags': '-x' is not a valid OCI tag`: the one way a problem is shown, alone or in a list. */
export function formatInputProblem(problem: Pick<InputProblem, 'input' | 'message'>): string {
  return `input '${problem.input}': ${problem.message}`;
}

/**
 * Every input problem of one step, reported together before anything was spawned or sent (exit 2,
 * code INPUT_INVALID like InputError). The message has one line per problem; with a single problem it
 * reads exactly like that problem's InputError, hint included, so hosts print it the same way.
 */
export class InvalidInputsError extends SlipwayError {
  readonly problems: readonly InputProblem[];

  constructor(problems: readonly InputProblem[], options: Pick<SlipwayErrorOptions, 'cause'> = {}) {
    const only = problems.length === 1 ? problems[0] : undefined;
    const lines = problems.map((problem) => (only || !problem.hint ? formatInputProblem(problem) : `${formatInputProblem(problem)} (hint: ${problem.hint})`));
    super('INPUT_INVALID', lines.join('\n'), errorCodes.INPUT_INVALID.exitCode, { hint: only?.hint, cause: options.cause });
    this.problems = [...problems];
  }
}

/** An external tool is not installed or not on PATH. */
export class ToolNotFoundError extends SlipwayError {
  readonly tool: string;

  constructor(tool: string, options: SlipwayErrorOptions = {}) {
    super('TOOL_NOT_FOUND', `'${tool}' was not found on PATH`, errorCodes.TOOL_NOT_FOUND.exitCode, {
      hint: options.hint ?? `install ${tool} on the runner, or put it on PATH`,
      cause: options.cause,
    });
    this.tool = tool;
  }
}

export interface ExecErrorDetails {
  /** The command line with every secret replaced by ***. */
  command: string;
  exitCode: number | undefined;
  /** The last lines of stderr, already redacted. */
  stderrTail: string;
  timedOut?: boolean;
}

/** An external tool ran and failed (non-zero exit or timeout). */
export class ExecError extends SlipwayError {
  readonly command: string;
  readonly toolExitCode: number | undefined;
  readonly stderrTail: string;
  readonly timedOut: boolean;

  constructor(details: ExecErrorDetails, options: SlipwayErrorOptions = {}) {
    const what = details.timedOut ? 'timed out' : `exited with code ${details.exitCode ?? 'unknown'}`;
    const tail = details.stderrTail ? `\n${details.stderrTail}` : '';
    const code = details.timedOut ? 'EXEC_TIMEOUT' : 'EXEC_FAILED';
    super(code, `${details.command} ${what}${tail}`, errorCodes[code].exitCode, options);
    this.command = details.command;
    this.toolExitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.timedOut = details.timedOut ?? false;
  }
}

/** The run was cancelled (SIGINT/SIGTERM or the host's cancel). */
export class CancelledError extends SlipwayError {
  constructor(message = 'the step was cancelled', options: SlipwayErrorOptions = {}) {
    super('CANCELLED', message, errorCodes.CANCELLED.exitCode, options);
  }
}

/** A tool's output could not be understood. Quotes the start of what it printed. */
export class ParseError extends SlipwayError {
  constructor(what: string, text: string, options: SlipwayErrorOptions = {}) {
    const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    super('PARSE_FAILED', `could not parse ${what}: ${JSON.stringify(quoted)}`, errorCodes.PARSE_FAILED.exitCode, options);
  }
}

/** A registry refused or failed an operation. */
export class RegistryError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'REGISTRY_FAILED', message, ExitCode.environment, options);
  }
}

/** A bug in Slipway: an invariant did not hold. */
export class InternalError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super('INTERNAL', message, errorCodes.INTERNAL.exitCode, {
      hint: options.hint ?? 'this is a Slipway bug; please report it with the log above',
      cause: options.cause,
    });
  }
}

/** Maps anything thrown to the exit code the hosts use. Unknown errors are environment errors. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof SlipwayError ? error.exitCode : ExitCode.environment;
}

/**
 * What the log says about a failure: a SlipwayError's message plus its hint; anything else, which Slipway
 * did not anticipate, as one line — its own message and the code UNEXPECTED. Never a stack: hosts put
 * the stack of an unexpected error in the debug log, where whoever reports a bug can turn it on.
 */
export function describeError(error: unknown): string {
  if (error instanceof SlipwayError) {
    return error.hint ? `${error.message}\nhint: ${error.hint}` : error.message;
  }
  const message = (error instanceof Error ? error.message || error.name : String(error)).replace(/\r\n|\r|\n/g, '\\n');
  return `${message} (UNEXPECTED)`;
}

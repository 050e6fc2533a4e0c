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

  constructor(input: string, message: string, options: SlipwayErrorOptions = {}) {
    super('INPUT_INVALID', `input '${input}': ${message}`, ExitCode.invalidInput, options);
    this.input = input;
  }
}

/** An external tool is not installed or not on PATH. */
export class ToolNotFoundError extends SlipwayError {
  readonly tool: string;

  constructor(tool: string, options: SlipwayErrorOptions = {}) {
    super('TOOL_NOT_FOUND', `'${tool}' was not found on PATH`, ExitCode.environment, {
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
    const what = details.timedOut
      ? 'timed out'
      : `exited with code ${details.exitCode ?? 'unknown'}`;
    const tail = details.stderrTail ? `\n${details.stderrTail}` : '';
    super(details.timedOut ? 'EXEC_TIMEOUT' : 'EXEC_FAILED', `${details.command} ${what}${tail}`, ExitCode.environment, options);
    this.command = details.command;
    this.toolExitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.timedOut = details.timedOut ?? false;
  }
}

/** The run was cancelled (SIGINT/SIGTERM or the host's cancel). */
export class CancelledError extends SlipwayError {
  constructor(message = 'the step was cancelled', options: SlipwayErrorOptions = {}) {
    super('CANCELLED', message, ExitCode.environment, options);
  }
}

/** A tool's output could not be understood. Quotes the start of what it printed. */
export class ParseError extends SlipwayError {
  constructor(what: string, text: string, options: SlipwayErrorOptions = {}) {
    const quoted = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    super('PARSE_FAILED', `could not parse ${what}: ${JSON.stringify(quoted)}`, ExitCode.environment, options);
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
    super('INTERNAL', message, ExitCode.environment, {
      hint: options.hint ?? 'this is a Slipway bug; please report it with the log above',
      cause: options.cause,
    });
  }
}

/** Maps anything thrown to the exit code the hosts use. Unknown errors are environment errors. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  return error instanceof SlipwayError ? error.exitCode : ExitCode.environment;
}

/** One line for the log: message plus hint, never a stack for expected errors. */
export function describeError(error: unknown): string {
  if (error instanceof SlipwayError) {
    return error.hint ? `${error.message}\nhint: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

import { describeError, exitCodeOf, ExitCode, InternalError, SlipwayError, type ExitCodeValue } from './errors/index.ts';
import { inputVariables, minSecretLength, ProcessRunner, Redactor } from './exec/index.ts';
import type { CiContext } from './git/ci-context.ts';
import type { Host } from './host/host.ts';
import { validateStepInputs, type InputSpec } from './inputs/index.ts';
import type { AnyStepDefinition, StepReport } from './steps/framework/step-definition.ts';
import type { StepDeps } from './steps/framework/step-deps.ts';
import { findStep } from './steps/registry.ts';
import { sleep } from './concurrency/sleep.ts';
import { describeRun } from './deploy/run-identity.ts';

/** `main`: the step's work; `post`: its cleanup after the job (see StepDefinition.post). */
export type StepPhase = 'main' | 'post';

export interface StepRunOutcome {
  exitCode: ExitCodeValue;
  report?: StepReport;
  error?: { code: string; message: string; hint?: string };
  /** A post phase's failure that left the environment clean: logged as a warning, the exit code stays 0. */
  warning?: { code: string; message: string };
}

/**
 * The whole life of one step in any host: read and validate inputs once, run, publish outputs and the
 * summary, and turn whatever happened into the shared exit code. Hosts only adapt I/O around this.
 *
 * With `phase: 'post'` it runs the step's post phase instead (a no-op for a step without one): no
 * inputs are parsed (secret inputs are only masked again), and a failure is a warning with exit 0
 * unless its exit code is 4 (the environment is not clean: a human must look), which fails with 4.
 */
export async function runStep(host: Host, stepId: string, phase: StepPhase = 'main'): Promise<StepRunOutcome> {
  const redactor = new Redactor();
  if (phase === 'post') return runPostPhase(host, stepId, redactor);
  const mask = createMask(host, redactor);
  try {
    const step = findStep(stepId);
    if (!step) throw new InternalError(`unknown step '${stepId}'`);
    const inputs = await validateStepInputs(step, (name) => readInput(host, step.spec.inputs, name, mask), {
      workspace: host.workspace,
      tempDir: host.tempDir,
      env: host.env,
      federatedTokens: host.federatedToken !== undefined,
    });

    const report = await step.run(inputs, createStepDeps(host, step, redactor, mask));
    for (const [name, value] of Object.entries(report.outputs)) host.setOutput(name, value);
    for (const [name, value] of Object.entries(report.exportVariables ?? {})) host.exportVariable(name, value);
    if (report.summary) await host.appendSummary(report.summary);
    if (report.outcome === 'gate-failed') {
      host.log.error(report.reason ?? `${stepId}: a gate failed`);
      return { exitCode: ExitCode.gateFailed, report };
    }
    if (report.outcome === 'needs-human') {
      host.log.error(report.reason ?? `${stepId}: failed and could not restore a known-good state`);
      return { exitCode: ExitCode.needsHuman, report };
    }
    return { exitCode: ExitCode.success, report };
  } catch (error) {
    return failed(host, redactor, error);
  }
}

async function runPostPhase(host: Host, stepId: string, redactor: Redactor): Promise<StepRunOutcome> {
  try {
    const step = findStep(stepId);
    if (!step) throw new InternalError(`unknown step '${stepId}'`);
    if (!step.post) {
      host.log.debug(`${stepId} has no post phase`);
      return { exitCode: ExitCode.success };
    }
    // The secrets the main phase was given, learnt again (quietly: main already warned) so that the
    // post phase's command echo and children's environments are scrubbed of them too.
    const quietMask = createMask(host, redactor, { quiet: true });
    for (const spec of step.spec.inputs) if (spec.secret) readInput(host, step.spec.inputs, spec.name, quietMask);
    await step.post(createStepDeps(host, step, redactor, createMask(host, redactor)));
    return { exitCode: ExitCode.success };
  } catch (error) {
    if (exitCodeOf(error) === ExitCode.needsHuman) return failed(host, redactor, error, 'post phase: ');
    // Cleanup that could not finish but left nothing behind must not fail a job that succeeded.
    const message = redactor.redact(describeError(error));
    host.log.warning(`post phase of ${stepId}: ${message}`);
    logStack(host, redactor, error);
    return { exitCode: ExitCode.success, warning: { code: errorCode(error), message } };
  }
}

function createStepDeps(host: Host, step: AnyStepDefinition, redactor: Redactor, mask: Mask): StepDeps {
  const runner = new ProcessRunner({
    redactor,
    log: { command: (line) => host.log.command(line), debug: (message) => host.log.debug(redactor.redact(message)) },
    signal: host.signal,
    baseEnv: host.env,
    // Children never inherit the variables this step's inputs came from (INPUT_*, SLIPWAY_<INPUT>).
    withholdEnv: inputVariables(step.spec.inputs.map((input) => input.name)),
  });
  let ciContext: Promise<CiContext> | undefined;
  return {
    runner,
    // Redacted here as well as by the host: hosts neutralise log commands, which could change a secret's
    // spelling (`::P4ss` -> `\::P4ss`) before the runner's own masker sees it.
    log: {
      info: (message) => host.log.info(redactor.redact(message)),
      warning: (message) => host.log.warning(redactor.redact(message)),
      debug: (message) => host.log.debug(redactor.redact(message)),
      group: (title, fn) => host.group(redactor.redact(title), fn),
    },
    signal: host.signal,
    tempDir: host.tempDir,
    // Memoised and lazy: a step that never asks never runs git (a push failing its sign-in, for one).
    ciContext: () => (ciContext ??= host.ciContext()),
    state: { save: (name, value) => host.saveState(name, value), get: (name) => host.getState(name) },
    run: describeRun(host.kind, host.env),
    now: () => new Date(),
    sleep: (ms) => sleep(ms, host.signal),
    setSecret: (value) => mask(value),
    ...(host.federatedToken ? { federatedToken: host.federatedToken } : {}),
    ...(host.federatedTokenHandOff ? { federatedTokenHandOff: host.federatedTokenHandOff } : {}),
    ...(host.kubeTokenCommand ? { kubeTokenCommand: host.kubeTokenCommand } : {}),
  };
}

/** Masks a secret in the redactor and the host, or warns (naming where it came from, never the value) when it is too short to mask. */
type Mask = (value: string, source?: string) => void;

function createMask(host: Host, redactor: Redactor, options: { quiet?: boolean } = {}): Mask {
  return (value, source) => {
    if (redactor.add(value)) {
      host.setSecret(value);
      return;
    }
    if (options.quiet || !value.trim()) return;
    host.log.warning(
      `${source ?? 'a secret learnt at run time'} is shorter than ${minSecretLength} characters, too short to be a secret: it is not masked in the logs`,
    );
  };
}

/** Logs the error as the step's failure and turns it into the outcome hosts report. */
function failed(host: Host, redactor: Redactor, error: unknown, prefix = ''): StepRunOutcome {
  host.log.error(redactor.redact(`${prefix}${describeError(error)}`));
  logStack(host, redactor, error);
  const known = error instanceof SlipwayError ? error : undefined;
  return {
    exitCode: exitCodeOf(error),
    error: {
      code: errorCode(error),
      message: redactor.redact(error instanceof Error ? error.message : String(error)),
      ...(known?.hint ? { hint: known.hint } : {}),
    },
  };
}

/** The stack of an error Slipway did not anticipate, for whoever turns debug logging on; never for expected ones. */
function logStack(host: Host, redactor: Redactor, error: unknown): void {
  if (!(error instanceof SlipwayError) && error instanceof Error && error.stack) host.log.debug(redactor.redact(error.stack));
}

function errorCode(error: unknown): string {
  return error instanceof SlipwayError ? error.code : 'UNEXPECTED';
}

/** Reads one input and masks it at once if the spec says it is secret (for `id=VALUE` lines, the value). */
function readInput(host: Host, specs: readonly InputSpec[], name: string, mask: Mask): string | undefined {
  const raw = host.getInput(name);
  const spec = specs.find((s) => s.name === name);
  if (raw && spec?.secret) {
    if (spec.type === 'lines' || spec.type === 'map') {
      // `id=VALUE` lines: the value is the secret; masking the whole line would print the value in the
      // mask command itself and miss it everywhere the id is not next to it.
      for (const line of raw.split(/\r?\n/)) {
        const eq = line.indexOf('=');
        if (eq > 0 && eq < line.length - 1) mask(line.slice(eq + 1).trim(), `input '${name}' (the value of '${line.slice(0, eq).trim()}')`);
        else if (line.trim()) mask(line.trim(), `input '${name}'`);
      }
    } else {
      mask(raw, `input '${name}'`);
    }
  }
  return raw;
}

import { describeError, exitCodeOf, ExitCode, InternalError, SlipwayError, type ExitCodeValue } from './errors/index.ts';
import { ProcessRunner, Redactor } from './exec/index.ts';
import type { Host } from './host/host.ts';
import { parseInputs, type InputSpec } from './inputs/index.ts';
import type { StepReport } from './steps/framework/step-definition.ts';
import type { StepDeps } from './steps/framework/step-deps.ts';
import { findStep } from './steps/registry.ts';
import { sleep } from './concurrency/sleep.ts';

export interface StepRunOutcome {
  exitCode: ExitCodeValue;
  report?: StepReport;
  error?: { code: string; message: string; hint?: string };
}

/**
 * The whole life of one step in any host: read and validate inputs once, run, publish outputs and the
 * summary, and turn whatever happened into the shared exit code. Hosts only adapt I/O around this.
 */
export async function runStep(host: Host, stepId: string): Promise<StepRunOutcome> {
  const redactor = new Redactor();
  const mask = (value: string) => {
    redactor.add(value);
    host.setSecret(value);
  };
  try {
    const step = findStep(stepId);
    if (!step) throw new InternalError(`unknown step '${stepId}'`);
    const values = parseInputs(step.spec.inputs, (name) => readInput(host, step.spec.inputs, name, mask));
    const inputs = await step.validate(values, { workspace: host.workspace, tempDir: host.tempDir, env: host.env });

    const runner = new ProcessRunner({
      redactor,
      log: { command: (line) => host.log.command(line), debug: (message) => host.log.debug(message) },
      signal: host.signal,
      baseEnv: host.env,
    });
    const deps: StepDeps = {
      runner,
      log: {
        info: (message) => host.log.info(message),
        warning: (message) => host.log.warning(message),
        debug: (message) => host.log.debug(message),
        group: (title, fn) => host.group(title, fn),
      },
      signal: host.signal,
      tempDir: host.tempDir,
      ci: await host.ciContext(),
      now: () => new Date(),
      sleep: (ms) => sleep(ms, host.signal),
      setSecret: mask,
      ...(host.federatedToken ? { federatedToken: host.federatedToken } : {}),
    };
    const report = await step.run(inputs, deps);
    for (const [name, value] of Object.entries(report.outputs)) host.setOutput(name, value);
    if (report.summary) await host.appendSummary(report.summary);
    if (report.outcome === 'gate-failed') {
      host.log.error(report.reason ?? `${stepId}: a gate failed`);
      return { exitCode: ExitCode.gateFailed, report };
    }
    return { exitCode: ExitCode.success, report };
  } catch (error) {
    const message = redactor.redact(describeError(error));
    host.log.error(message);
    const known = error instanceof SlipwayError ? error : undefined;
    return {
      exitCode: exitCodeOf(error),
      error: {
        code: known?.code ?? 'UNEXPECTED',
        message: redactor.redact(error instanceof Error ? error.message : String(error)),
        ...(known?.hint ? { hint: known.hint } : {}),
      },
    };
  }
}

/** Reads one input and masks it at once if the spec says it is secret (for `id=VALUE` lines, the value). */
function readInput(host: Host, specs: readonly InputSpec[], name: string, mask: (value: string) => void): string | undefined {
  const raw = host.getInput(name);
  const spec = specs.find((s) => s.name === name);
  if (raw && spec?.secret) {
    if (spec.type === 'lines' || spec.type === 'map') {
      // `id=VALUE` lines: the value is the secret; masking the whole line would print the value in the
      // mask command itself and miss it everywhere the id is not next to it.
      for (const line of raw.split(/\r?\n/)) {
        const eq = line.indexOf('=');
        if (eq > 0 && eq < line.length - 1) mask(line.slice(eq + 1).trim());
        else if (line.trim()) mask(line.trim());
      }
    } else {
      mask(raw);
    }
  }
  return raw;
}

import { describeError, exitCodeOf, findStep, runStep, steps } from '@slipway/core';
import { CliHost } from './cli-host.ts';
import { parseArgv } from './parse-argv.ts';
import { renderGlobalHelp, renderStepHelp } from './render-help.ts';

declare const SLIPWAY_VERSION: string | undefined;
const version = typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : '0.0.0-dev';

/** `slipway` entry: returns the process exit code (the same codes as the action and task). */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgv(argv, (id) => findStep(id)?.spec);
  } catch (error) {
    process.stderr.write(`error: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
  if (parsed.command === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (parsed.command === 'help' || parsed.help) {
    const spec = parsed.stepId ? findStep(parsed.stepId)?.spec : undefined;
    process.stdout.write(`${spec ? renderStepHelp(spec) : renderGlobalHelp(Object.values(steps).map((s) => s.spec), version)}\n`);
    return 0;
  }
  const stepId = parsed.stepId as string;
  for (const input of findStep(stepId)?.spec.inputs ?? []) {
    if (input.secret && parsed.inputs.has(input.name)) {
      const variable = `SLIPWAY_${input.name.toUpperCase().replace(/-/g, '_')}`;
      process.stderr.write(`warning: --${input.name} puts a secret on the command line (shell history, process list); prefer ${variable}=... in the environment\n`);
    }
  }
  const host = new CliHost({ inputs: parsed.inputs });
  const outcome = await runStep(host, stepId);
  if (parsed.json) {
    const document = {
      step: stepId,
      exitCode: outcome.exitCode,
      outcome: outcome.report?.outcome ?? 'error',
      outputs: host.outputs,
      result: outcome.report?.result,
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    for (const summary of host.summaries) process.stdout.write(`${summary}\n`);
  }
  return outcome.exitCode;
}

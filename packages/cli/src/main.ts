import {
  cliInputVariable,
  describeError,
  ExitCode,
  findStep,
  neutraliseJsonLogCommands,
  neutraliseLogCommands,
  runKubeTokenPlugin,
  runStep,
  steps,
  type StepRunOutcome,
} from '@slipway/core';
import { CliHost } from './cli-host.ts';
import { CommandLineError, parseArgv, type ParsedArgv } from './parse-argv.ts';
import { renderGlobalHelp, renderStepHelp } from './render-help.ts';

declare const SLIPWAY_VERSION: string | undefined;
const version = typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : '0.0.0-dev';

// What the CLI prints itself is data too: a CLI inside a workflow's `run:` step or a pipeline script has
// its stdout and stderr read by the runner, so no line may read as a workflow or logging command.
const printErr = (text: string) => process.stderr.write(`${neutraliseLogCommands(text)}\n`);
const printOut = (text: string) => process.stdout.write(`${neutraliseLogCommands(text)}\n`);
const printJson = (document: unknown) => process.stdout.write(`${neutraliseJsonLogCommands(JSON.stringify(document, null, 2))}\n`);

/**
 * `slipway` entry: returns the process exit code (the same codes as the action and task). A step with
 * a post phase has it run here once the main phase has ended, however it ended (cancelled included);
 * the exit code is the main phase's, or 4 when the post phase left the environment unclean.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // The credential plugin of the kubeconfigs `slipway aks-context` writes, which kubectl runs as
  // `slipway kube-token --config <file>`: not a step, and stdout is kubectl's, for the ExecCredential alone.
  if (argv[0] === 'kube-token') return runKubeTokenPlugin(argv.slice(1));
  const parsed = parseArgv(argv, (id) => findStep(id)?.spec);
  if (parsed.problems.length > 0) return reportCommandLineProblems(parsed);
  if (parsed.command === 'version') {
    printOut(version);
    return ExitCode.success;
  }
  if (parsed.command === 'help' || parsed.help) {
    const spec = parsed.stepId ? findStep(parsed.stepId)?.spec : undefined;
    printOut(
      spec
        ? renderStepHelp(spec)
        : renderGlobalHelp(
            Object.values(steps).map((s) => s.spec),
            version,
          ),
    );
    return ExitCode.success;
  }
  const stepId = parsed.stepId as string;
  const step = findStep(stepId);
  for (const input of step?.spec.inputs ?? []) {
    if (input.secret && parsed.inputs.has(input.name)) {
      const variable = cliInputVariable(input.name);
      printErr(`warning: --${input.name} puts a secret on the command line (shell history, process list); prefer ${variable}=... in the environment`);
    }
  }
  const host = new CliHost({ inputs: parsed.inputs });
  const outcome = await runStep(host, stepId);
  let post: StepRunOutcome | undefined;
  if (step?.post) {
    host.startPostPhase();
    post = await runStep(host, stepId, 'post');
  }
  // Cleanup that failed without leaving anything behind changes nothing; an unclean environment does.
  const exitCode = post?.exitCode === ExitCode.needsHuman ? post.exitCode : outcome.exitCode;
  // Variables for later steps outlive the CLI only when its post phase undid nothing: a step that saved
  // state for it (aks-context without --keep-kubeconfig) has just removed what they point at.
  const exported = post && host.savedState ? {} : host.exported;
  if (parsed.json) {
    printJson(
      redactStrings(host, {
        step: stepId,
        exitCode,
        outcome: outcome.report?.outcome ?? 'error',
        outputs: host.outputs,
        result: outcome.report?.result,
        // The Markdown a job summary would show, so that --json alone says everything.
        ...(host.summaries.length > 0 ? { summary: host.summaries.join('\n') } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(post ? { post: postSummary(post) } : {}),
        ...(Object.keys(exported).length > 0 ? { exported } : {}),
      }),
    );
  } else {
    for (const summary of host.summaries) printOut(host.redact(summary));
    // For `eval "$(slipway aks-context … --keep-kubeconfig | grep '^export ')"`.
    for (const [name, value] of Object.entries(exported)) printOut(`export ${name}=${shellQuote(host.redact(value))}`);
  }
  return exitCode;
}

/** The post phase in the JSON document: its exit code and, when it had one, its error or warning. */
function postSummary(post: StepRunOutcome): Pick<StepRunOutcome, 'exitCode' | 'error' | 'warning'> {
  return { exitCode: post.exitCode, ...(post.error ? { error: post.error } : {}), ...(post.warning ? { warning: post.warning } : {}) };
}

/** Every problem at once on stderr, and with --json the usual document with the error on stdout; exit 2. */
function reportCommandLineProblems(parsed: ParsedArgv): number {
  const error = new CommandLineError(parsed.problems);
  printErr(`error: ${describeError(error)}`);
  if (parsed.json) {
    printJson({
      step: parsed.stepId ?? null,
      exitCode: error.exitCode,
      outcome: 'error',
      outputs: {},
      error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
      problems: error.problems,
    });
  }
  return error.exitCode;
}

/** The document with every string passed through the host's redactor (outputs are printed whole). */
function redactStrings(host: CliHost, value: unknown): unknown {
  if (typeof value === 'string') return host.redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(host, item));
  // What JSON.stringify would print for a Date or any object with toJSON.
  if (value && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactStrings(host, (value as { toJSON: () => unknown }).toJSON());
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(host, item)]));
  return value;
}

/** A POSIX shell word for any value: single quotes, each ' written as '\''. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

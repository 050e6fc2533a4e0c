/** One test hook (a pod) as `helm test` reported it. */
export interface HelmTestSuite {
  /** The test pod's name. */
  name: string;
  /** `Succeeded`, `Failed`, or the phase it was left in at a timeout (`Running`, `Pending`). */
  phase: string;
}

/** What `helm test` said, from its stdout (the suites), stderr (the error) and exit code. */
export interface HelmTestRun {
  /** The test pods Helm ran, in its order (by hook weight); after a failure Helm runs no more. */
  suites: HelmTestSuite[];
  /** `TEST SUITE: None`: the chart has no test hooks. */
  noTests: boolean;
  /** Every test pod ran and Succeeded (a chart without tests passes). */
  passed: boolean;
  /** Helm's `Error:` text (several lines joined with `; `), when it printed one. */
  error: string | undefined;
  /** Helm failed only because it could not read the test pods' logs (`--logs`); the verdict stands. */
  logsUnavailable: boolean;
  /** `--logs` output by test pod. */
  logs: Record<string, string>;
  /** Whether Helm got as far as the release's tests at all (false: release not found, cluster unreachable). */
  ran: boolean;
}

/**
 * Reads `helm test`'s text output, the same in Helm 3.18 and 4.2 (test/fixtures/helm/helm{3,4}-test-*.json):
 * the release header, then per test pod `TEST SUITE: <pod>`, `Last Started`, `Last Completed`,
 * `Phase: <phase>`, then with `--logs` a `POD LOGS: <pod>` block each. Neither version has a JSON
 * output for `test`, and the exit code alone cannot tell a failed test from logs it could not fetch.
 */
export function parseHelmTestOutput(output: { exitCode: number; stdout: string; stderr: string }): HelmTestRun {
  // Helm 4 colours its output when it thinks a terminal is watching.
  const stdout = stripAnsi(output.stdout);
  const suites: HelmTestSuite[] = [];
  const logs: Record<string, string> = {};
  let noTests = false;
  let sawHeader = false;
  let logPod: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const logsStart = /^POD LOGS:\s*(\S+)\s*$/.exec(line);
    if (logsStart?.[1]) {
      logPod = logsStart[1];
      logs[logPod] = '';
      continue;
    }
    if (logPod !== undefined) {
      logs[logPod] += `${line}\n`;
      continue;
    }
    if (/^(NAME|STATUS|REVISION):/.test(line)) sawHeader = true;
    const suite = /^TEST SUITE:\s*(\S+)\s*$/.exec(line);
    if (suite?.[1] === 'None') noTests = true;
    else if (suite?.[1]) suites.push({ name: suite[1], phase: 'Unknown' });
    const phase = /^Phase:\s*(\S+)\s*$/.exec(line);
    const last = suites.at(-1);
    if (phase?.[1] && last) last.phase = phase[1];
  }
  for (const pod of Object.keys(logs)) logs[pod] = (logs[pod] ?? '').replace(/\n+$/, '');

  const errorLines = stripAnsi(output.stderr)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const error = errorLines.length > 0 ? errorLines.map((line) => line.replace(/^Error:\s*/, '').replace(/^\*\s*/, '')).join('; ') : undefined;
  const allSucceeded = suites.every((suite) => suite.phase === 'Succeeded');
  // Helm 3 says "unable to get pod logs for <pod>", Helm 4 "unable to get logs for pod <pod>".
  const logsUnavailable = output.exitCode !== 0 && allSucceeded && errorLines.length > 0 && errorLines.every((line) => /unable to get (pod )?logs/i.test(line));
  const ran = sawHeader || noTests || suites.length > 0;
  return {
    suites,
    noTests,
    passed: ran && allSucceeded && (output.exitCode === 0 || logsUnavailable),
    error,
    logsUnavailable,
    logs,
    ran,
  };
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

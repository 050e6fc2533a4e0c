/**
 * Deploy (issue #11): how fast `slipway deploy` (the CLI bundled from today's sources, --json, default
 * policy gate) notices a crash-looping upgrade and rolls it back, and how long a healthy upgrade takes,
 * side by side with Helm's own waiting on the same chart, for Helm 3 and Helm 4 in one run, against the
 * sandbox cluster (kube-apiserver with KWOK nodes). Figures, never thresholds.
 *
 * - failing: the demo chart at a healthy revision 1, then an upgrade with failureMode=crashloop and a 60 s
 *   timeout; `slipway deploy --timeout 60s` against `helm upgrade --atomic` (Helm 3) or
 *   `--rollback-on-failure` (Helm 4), both of which wait for the timeout before rolling back. Those Helm
 *   runs are bound by the timeout, so they all run at once, apart from every other measurement.
 * - healthy: from a deployed revision 1, an upgrade to slow-starting pods (failureMode=slow-start,
 *   readyAfter=5s, 2 replicas, rolled one at a time) and a plain one (a new pod label), against
 *   `helm upgrade --wait` (Helm 4: the watcher strategy).
 *
 * Every run gets its own namespace with revision 1 installed by `helm install --wait` (not timed); all of
 * them are deleted at the end. Slipway's and Helm's runs alternate within a round. Skips when the sandbox
 * is not up. `BENCH_RUNS=5 npm run bench deploy` for more rounds (default 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleForTest } from '../test/support/host-harness.ts';
import type { BaseRow, BaseSample, CliDocument, HelmUnderTest, Values } from './bench-support.ts';
import { benchCluster, chartDir, readSandbox, release, root, runs, runTimed, setArgs, tally, timeout, toolVersions } from './bench-support.ts';

/** One measurement: the shared figures, and helm returned -> rollback decision. */
interface Sample extends BaseSample {
  detectMs?: number | undefined;
}

export async function run(): Promise<void> {
  const sb = await readSandbox();
  if (!sb) {
    console.log('sandbox not up (npm run sandbox:up): skipped');
    return;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-deploy-'));
  const { kubeconfig, kubectl, helmEnv, history, journal, newPodsReady, helmUpgradeArgs, prepare, deleteNamespaces } = benchCluster(sb, 'bench-deploy');

  try {
    const cli = await bundleForTest({
      source: `import { main } from ${JSON.stringify(path.join(root, 'packages/cli/src/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
      outfile: path.join(work, 'cli', 'slipway.mjs'),
      format: 'esm',
    });
    const { helms, kube, trivy, commit } = await toolVersions(sb, kubectl);

    /** `slipway deploy` of `values` over revision 1; what it reports, checked by `check`. */
    const slipway = async (helm: HelmUnderTest, ns: string, values: Values, check: (doc: CliDocument) => Promise<string | undefined>): Promise<Sample> => {
      const args = [cli, 'deploy', '--release', release, '--namespace', ns, '--chart', chartDir, '--kubeconfig', kubeconfig, '--timeout', timeout];
      const outcome = await runTimed(process.execPath, [...args, ...setArgs(values), '--json'], helmEnv(helm));
      const gateStart = outcome.lines.find((line) => line.text.startsWith('▶ Policy gate'));
      const gateEnd = outcome.lines.find((line) => line.text.startsWith('policy gate: '));
      const events = (await journal(ns))?.timeline ?? [];
      const at = (phase: string) => {
        const event = events.find((entry) => entry.phase === phase);
        return event ? Date.parse(event.at) : undefined;
      };
      const [upgrading, verifying, rollingBack] = [at('upgrading'), at('verifying'), at('rolling-back')];
      let problem: string | undefined;
      try {
        problem = await check(JSON.parse(outcome.stdout) as CliDocument);
      } catch (error) {
        problem = `no JSON document (exit ${outcome.exitCode}): ${String(error).slice(0, 200)}`;
      }
      if (problem) problem += `\n${outcome.lines.map((line) => `    ${line.text}`).join('\n')}`;
      return {
        wallMs: outcome.wallMs,
        startupMs: upgrading === undefined ? undefined : upgrading - outcome.startedAt,
        gateMs: gateStart && gateEnd ? gateEnd.at - gateStart.at : undefined,
        decisionMs: rollingBack === undefined ? undefined : rollingBack - outcome.startedAt,
        decisionToExitMs: rollingBack === undefined ? undefined : outcome.endedAt - rollingBack,
        detectMs: rollingBack === undefined || verifying === undefined ? undefined : rollingBack - verifying,
        problem,
      };
    };
    const rolledBackToOne = async (helm: HelmUnderTest, ns: string) => {
      const last = (await history(helm, ns)).at(-1);
      return last?.revision === 3 && last.status === 'deployed' && last.description === 'Rollback to 1'
        ? undefined
        : `history ends with ${JSON.stringify(last)}, not revision 3 "Rollback to 1"`;
    };
    const healthyCheck = async (ns: string, ok: boolean, said: string) => {
      if (!ok) return said;
      const ready = await newPodsReady(ns);
      return ready === 2 ? undefined : `reported success with ${ready}/2 pods of the new ReplicaSet ready`;
    };

    // 1. The failing upgrade, Helm alone: every run waits out the timeout, so they run together.
    const crash: Values = { failureMode: 'crashloop' };
    const helmFailing = new Map<HelmUnderTest, Sample[]>();
    const failingNamespaces = await Promise.all(helms.flatMap((helm) => Array.from({ length: runs }, () => prepare(helm, `fail-${helm.label.at(-1)}`))));
    await Promise.all(
      helms.flatMap((helm, h) =>
        failingNamespaces.slice(h * runs, (h + 1) * runs).map(async (ns) => {
          const outcome = await runTimed(helm.bin, helmUpgradeArgs(ns, crash, [helm.rollbackFlag, '--debug']), helmEnv(helm));
          // Helm 3: "Upgrade failed and atomic is set, rolling back to last successful release";
          // Helm 4: "Upgrade failed and rollback-on-failure is set, rolling back to previous successful release".
          const decided = outcome.lines.find((line) => /Upgrade failed and .* is set, rolling back/.test(line.text));
          const problem = outcome.exitCode === 0 ? 'helm exited 0 on a crash-looping upgrade' : await rolledBackToOne(helm, ns);
          const samples = helmFailing.get(helm) ?? [];
          samples.push({
            wallMs: outcome.wallMs,
            decisionMs: decided ? decided.at - outcome.startedAt : undefined,
            decisionToExitMs: decided ? outcome.endedAt - decided.at : undefined,
            problem,
          });
          helmFailing.set(helm, samples);
        }),
      ),
    );

    // 2. Slipway on the same failing upgrade, then both healthy upgrades, one Helm at a time.
    const failingRows: Row[] = [];
    const healthyRows: Row[] = [];
    const problems: string[] = [];
    const scenarios: Array<{ name: string; values: Values }> = [
      { name: 'slow start (readyAfter=5s)', values: { failureMode: 'slow-start', readyAfter: '5s' } },
      { name: 'plain (new pod label)', values: { version: 'v2' } },
    ];
    for (const helm of helms) {
      const slipwayFailing: Sample[] = [];
      const failingSlipwayNs = await Promise.all(Array.from({ length: runs }, () => prepare(helm, `slip-${helm.label.at(-1)}`)));
      for (const ns of failingSlipwayNs) {
        slipwayFailing.push(
          await slipway(helm, ns, crash, async (doc) =>
            doc.outputs.result === 'rolled-back' && doc.outputs['rolled-back-to'] === '1'
              ? await rolledBackToOne(helm, ns)
              : `result ${doc.outputs.result}, rolled-back-to '${doc.outputs['rolled-back-to']}': ${doc.outputs.reason}`,
          ),
        );
      }
      failingRows.push(
        row(helm, 'slipway deploy', slipwayFailing, problems),
        row(helm, `helm upgrade ${helm.rollbackFlag}`, helmFailing.get(helm) ?? [], problems),
      );

      for (const scenario of scenarios) {
        const slipwaySamples: Sample[] = [];
        const helmSamples: Sample[] = [];
        const pairs = await Promise.all(
          Array.from({ length: runs }, async () => [await prepare(helm, `ok-${helm.label.at(-1)}`), await prepare(helm, `ok-${helm.label.at(-1)}`)] as const),
        );
        for (const [i, [slipwayNs, helmNs]] of pairs.entries()) {
          const viaSlipway = async () =>
            slipwaySamples.push(
              await slipway(helm, slipwayNs, scenario.values, (doc) =>
                healthyCheck(
                  slipwayNs,
                  doc.outputs.result === 'deployed' && doc.outputs.revision === '2',
                  `result ${doc.outputs.result}: ${doc.outputs.reason}`,
                ),
              ),
            );
          const viaHelm = async () => {
            const outcome = await runTimed(helm.bin, helmUpgradeArgs(helmNs, scenario.values, ['--wait']), helmEnv(helm));
            const said = outcome.lines.map((line) => line.text).join(' ');
            helmSamples.push({
              wallMs: outcome.wallMs,
              problem: await healthyCheck(helmNs, outcome.exitCode === 0, `helm exited ${outcome.exitCode}: ${said}`),
            });
          };
          // Alternate which goes first, so drift on a shared machine hits both alike.
          for (const measure of i % 2 === 0 ? [viaSlipway, viaHelm] : [viaHelm, viaSlipway]) await measure();
        }
        healthyRows.push(
          { ...row(helm, 'slipway deploy', slipwaySamples, problems), scenario: scenario.name },
          { ...row(helm, 'helm upgrade --wait', helmSamples, problems), scenario: scenario.name },
        );
      }
    }

    console.log(`Kubernetes ${kube} (kube-apiserver, KWOK nodes), ${helms.map((helm) => `${helm.label} ${helm.version}`).join(', ')}, Trivy ${trivy}`);
    console.log(`slipway CLI bundled from sources at ${commit} (default policy gate), node ${process.version}; ${runs} run(s) each, seconds: median [min-max]`);
    console.log(`\nfailing upgrade (failureMode=crashloop, timeout ${timeout}; revision 1 healthy) -> rolled back to revision 1`);
    printTable(
      ['helm', 'tool', 'wall', 'start->rollback decision', 'helm returned->decision', 'decision->exit', 'policy gate', 'wall - gate', 'checks'],
      failingRows.map((r) => [r.helm, r.tool, r.wall, r.decision, r.detect, r.decisionToExit, r.gate, r.wallMinusGate, r.checks]),
    );
    console.log(`\nhealthy upgrade from revision 1 (2 replicas, timeout ${timeout}), to the point each reports success`);
    printTable(
      ['helm', 'upgrade', 'tool', 'wall', 'policy gate', 'wall - gate', 'start->helm upgrade', 'checks'],
      healthyRows.map((r) => [r.helm, r.scenario ?? '', r.tool, r.wall, r.gate, r.wallMinusGate, r.startup, r.checks]),
    );
    console.log(
      [
        '',
        'wall: spawn to exit of the process (slipway: its post phase included).',
        "start->rollback decision: spawn to the journal's `rolling-back` event (slipway), or to Helm's --debug line",
        '  "Upgrade failed and ... is set, rolling back" (time the line arrived); decision->exit: from there to the exit.',
        "helm returned->decision: slipway's journal, `verifying` (helm upgrade returned) to `rolling-back`; the sandbox's crashloop",
        '  stage reports the first CrashLoopBackOff 2 s after a pod starts running, so most of it is the stage delay.',
        'policy gate: arrival of "▶ Policy gate" to "policy gate: <verdict>" on stderr (Trivy version and config check, verdict;',
        '  the chart is rendered before it); wall - gate: the same run without that span (derived, not a run with policy-fail-on none).',
        "start->helm upgrade: spawn to the journal's `upgrading` event (node start, helm version, template, gate, Lease, history).",
        'checks: slipway result rolled-back to 1 / deployed at revision 2; helm exit code; failing runs also need the history to',
        '  end with revision 3 "Rollback to 1" (deployed), healthy runs 2/2 ready pods in the new ReplicaSet right after the exit.',
        `The helm-alone failing runs (${helms.length * runs}) ran concurrently, each in its own namespace: they wait out the timeout.`,
      ].join('\n'),
    );
    for (const problem of problems) console.log(`\nproblem: ${problem}`);
  } finally {
    await deleteNamespaces();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Row extends BaseRow {
  scenario?: string;
  detect: string;
  wallMinusGate: string;
}

/** One table row of formatted figures; failed checks go to `problems`. */
function row(helm: HelmUnderTest, tool: string, samples: Sample[], problems: string[]): Row {
  const { figure, columns } = tally(helm, tool, samples, problems);
  return {
    ...columns,
    detect: figure((s) => s.detectMs),
    wallMinusGate: figure((s) => (s.gateMs === undefined ? undefined : s.wallMs - s.gateMs)),
  };
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  for (const r of rows) console.log(line(r));
}

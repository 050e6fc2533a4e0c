/**
 * Canary (issue #12): how fast `slipway deploy --strategy canary` (the built CLI, packages/cli/bin/slipway.mjs,
 * --json, default policy gate) notices a failing canary and takes it away, side by side with Helm's own
 * rollback on the same failing chart, and what a healthy canary costs over its configured bake times, for
 * Helm 3 and Helm 4 in one run, against the sandbox cluster (kube-apiserver with KWOK nodes). Figures,
 * never thresholds.
 *
 * - crash-looping canary: the demo chart at a healthy revision 1, then failureMode=crashloop with steps
 *   10,25,50 and bake 10s (timeout 60s, as deploy.bench.ts), against `helm upgrade --atomic` (Helm 3) or
 *   `--rollback-on-failure` (Helm 4) of the same chart with the same timeout. Helm waits out the timeout
 *   before rolling back, so its runs all go at once, apart from every other measurement. A `kubectl get
 *   pods --watch` of the bench's own marks when the API first shows CrashLoopBackOff.
 * - metric gate: a healthy canary with one metric, the error ratio of a metrics-app version of the run's own
 *   (`bench-<random>`, served at 50 rps; interval 2s, the default failure-limit), raised to 20 % by
 *   POST /control as soon as the first measurement passes; the time from that POST to the rollback decision.
 * - healthy canary: steps 10,25,50 with bake 5s (15 s configured) and a plain change (a new pod label);
 *   wall time minus those 15 s.
 *
 * Every run gets its own namespace with revision 1 installed by `helm install --wait` (not timed); all of
 * them are deleted at the end. Skips when the sandbox is not up. `BENCH_RUNS=5 npm run bench canary` for more
 * rounds (default 3).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BaseRow, BaseSample, CliDocument, HelmUnderTest, TimedLine, Values } from './bench-support.ts';
import { benchCluster, chartDir, readSandbox, release, root, runs, setArgs, startTimed, tally, timeout, toolVersions } from './bench-support.ts';

const cli = path.join(root, 'packages/cli/bin/slipway.mjs');
const steps = '10,25,50';
const failingBake = '10s';
const healthyBake = '5s';
/** What the healthy canary's steps are configured to last: 3 steps of 5 s. */
const configuredMs = 3 * 5_000;
const errorRate = 0.2;
const metricInterval = '2s';
const canarySelector = `app.kubernetes.io/managed-by=slipway,slipway.dev/canary-of=${release},slipway.dev/track=canary`;
const stableSelector = `app.kubernetes.io/instance=${release},slipway.dev/track!=canary`;

/** One measurement: the shared figures and the canary's own. */
interface Sample extends BaseSample {
  /** The canary's first journal event (`canary: starting`) to the rollback decision. */
  canaryToDecisionMs?: number | undefined;
  /** The bench's own watch first seeing CrashLoopBackOff to the rollback decision. */
  crashToDecisionMs?: number | undefined;
  /** POST /control raising the error rate to the rollback decision. */
  raisedToDecisionMs?: number | undefined;
  /** Canary start to the promotion decision, minus the configured bake times. */
  stepsOverheadMs?: number | undefined;
  /** Promotion decision to `promoted` (helm upgrade of stable, its watch, canary removal). */
  promotionMs?: number | undefined;
  /** Wall minus the configured bake times. */
  overheadMs?: number | undefined;
  /** True when the stable release kept its revision and its pods. */
  stableUntouched?: boolean | undefined;
  /** What happened to stable, for the table: `rev 1 -> 3`, `pods replaced`. */
  stableNote?: string | undefined;
}

interface PodList {
  items: Array<{ metadata: { uid: string; deletionTimestamp?: string } }>;
}

/** The stable release as it stands: its revision and its live pods. */
interface StableSnapshot {
  revision: number | undefined;
  pods: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(): Promise<void> {
  const sb = await readSandbox();
  if (!sb) {
    console.log('sandbox not up (npm run sandbox:up): skipped');
    return;
  }
  const metricsApp = sb.env.METRICS_APP_URL as string;
  const prometheusUrl = sb.env.PROMETHEUS_URL as string;
  const versions: string[] = [];
  const { kubeconfig, kubectlBin, kubectl, helmEnv, history, journal, newPodsReady, helmUpgradeArgs, prepare, deleteNamespaces } = benchCluster(
    sb,
    'bench-canary',
  );
  const stable = async (helm: HelmUnderTest, ns: string, selector: string): Promise<StableSnapshot> => {
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'])) as PodList;
    return {
      revision: (await history(helm, ns)).at(-1)?.revision,
      pods: pods.items
        .filter((pod) => !pod.metadata.deletionTimestamp)
        .map((pod) => pod.metadata.uid)
        .sort(),
    };
  };
  /** How stable fared between two snapshots: untouched, or what changed. */
  const compareStable = (before: StableSnapshot, after: StableSnapshot) => {
    const notes: string[] = [];
    if (before.revision !== after.revision) notes.push(`rev ${before.revision} -> ${after.revision}`);
    if (before.pods.join() !== after.pods.join())
      notes.push(`pods ${before.pods.length} -> ${after.pods.length}, ${after.pods.filter((uid) => !before.pods.includes(uid)).length} new`);
    return { stableUntouched: notes.length === 0, stableNote: notes.join(', ') || undefined };
  };
  const canaryLeft = async (ns: string) =>
    (await kubectl(['get', 'deployments,statefulsets,services,ingresses', '-n', ns, '-l', canarySelector, '-o', 'name'])).trim().split('\n').filter(Boolean);
  const control = async (body: Record<string, unknown>) => {
    const res = await fetch(`${metricsApp}/control`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`POST /control ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
  };
  const promQuery = async (query: string) => {
    const res = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`);
    const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    const value = body.data?.result?.[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  };
  /**
   * Starts `kubectl get pods --watch` on the namespace's pods (canary pods carry `<value>-canary` labels); resolves once it listed them (so it is
   * watching), and marks when a line first shows CrashLoopBackOff.
   */
  const watchPods = async (ns: string) => {
    const watcher = startTimed(
      kubectlBin,
      [
        '--kubeconfig',
        kubeconfig,
        'get',
        'pods',
        '-n',
        ns,
        '--watch',
        '--no-headers',
        '-o',
        'custom-columns=NAME:.metadata.name,WAITING:.status.containerStatuses[*].state.waiting.reason',
      ],
      { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    );
    const deadline = Date.now() + 10_000;
    while (watcher.lines.length === 0 && Date.now() < deadline) await sleep(50);
    return {
      stop: async () => {
        watcher.child.kill('SIGTERM');
        await watcher.done;
        return watcher.lines.find((line) => line.text.includes('CrashLoopBackOff'))?.at;
      },
    };
  };
  const prepareMany = (helm: HelmUnderTest, tag: string) => Promise.all(Array.from({ length: runs }, () => prepare(helm, `${tag}-${helm.label.at(-1)}`)));

  try {
    const { helms, kube, trivy, commit } = await toolVersions(sb, kubectl);
    const built = builtAt();

    /** `slipway deploy --strategy canary` of `values` over revision 1, with what the journal and the cluster say afterwards. */
    const slipway = async (helm: HelmUnderTest, ns: string, values: Values, extra: string[], onLine?: (line: TimedLine) => void) => {
      const before = await stable(helm, ns, stableSelector);
      const args = [
        cli,
        'deploy',
        '--release',
        release,
        '--namespace',
        ns,
        '--chart',
        chartDir,
        '--kubeconfig',
        kubeconfig,
        '--timeout',
        timeout,
        '--strategy',
        'canary',
        '--steps',
        steps,
        ...extra,
        ...setArgs(values),
        '--json',
      ];
      const outcome = await startTimed(process.execPath, args, helmEnv(helm), onLine).done;
      const events = (await journal(ns))?.timeline ?? [];
      const at = (phase: string, message?: RegExp) => {
        const event = events.find((entry) => entry.phase === phase && (!message || message.test(entry.message)));
        return event ? Date.parse(event.at) : undefined;
      };
      const gateStart = outcome.lines.find((line) => line.text.startsWith('▶ Policy gate'));
      const gateEnd = outcome.lines.find((line) => line.text.startsWith('policy gate: '));
      let doc: CliDocument | undefined;
      let problem: string | undefined;
      try {
        doc = JSON.parse(outcome.stdout) as CliDocument;
      } catch (error) {
        problem = `no JSON document (exit ${outcome.exitCode}): ${String(error).slice(0, 200)}`;
      }
      const left = await canaryLeft(ns);
      if (left.length > 0) problem = [problem, `canary objects left: ${left.join(', ')}`].filter(Boolean).join('; ');
      return {
        outcome,
        doc,
        at,
        problem,
        before,
        after: await stable(helm, ns, stableSelector),
        gateMs: gateStart && gateEnd ? gateEnd.at - gateStart.at : undefined,
        canaryAt: at('progressing', /^canary: starting/),
        rollingBackAt: at('rolling-back'),
      };
    };
    type SlipwayRun = Awaited<ReturnType<typeof slipway>>;
    /** The figures every rolled-back canary has, `check` adding what this scenario needs. */
    const rolledBackSample = (r: SlipwayRun, failedGate: string, more: Partial<Sample>, check?: (doc: CliDocument) => string | undefined): Sample => {
      const problems = r.problem ? [r.problem] : [];
      const stableFigures = compareStable(r.before, r.after);
      if (r.doc) {
        const { outputs } = r.doc;
        if (r.outcome.exitCode !== 1) problems.push(`exit ${r.outcome.exitCode}, not 1`);
        if (outputs.result !== 'rolled-back' || outputs['failed-gate'] !== failedGate)
          problems.push(`result ${outputs.result}, failed-gate ${outputs['failed-gate']}, not rolled-back on ${failedGate}: ${outputs.reason}`);
        const failed = check?.(r.doc);
        if (failed) problems.push(failed);
      }
      if (!stableFigures.stableUntouched) problems.push(`stable touched: ${stableFigures.stableNote}`);
      if (r.rollingBackAt === undefined) problems.push('no rolling-back event in the journal');
      return {
        wallMs: r.outcome.wallMs,
        gateMs: r.gateMs,
        startupMs: r.canaryAt === undefined ? undefined : r.canaryAt - r.outcome.startedAt,
        decisionMs: r.rollingBackAt === undefined ? undefined : r.rollingBackAt - r.outcome.startedAt,
        canaryToDecisionMs: r.rollingBackAt === undefined || r.canaryAt === undefined ? undefined : r.rollingBackAt - r.canaryAt,
        decisionToExitMs: r.rollingBackAt === undefined ? undefined : r.outcome.endedAt - r.rollingBackAt,
        ...stableFigures,
        ...more,
        problem: problems.length ? `${problems.join('; ')}\n${r.outcome.lines.map((line) => `    ${line.text}`).join('\n')}` : undefined,
      };
    };

    const crash: Values = { failureMode: 'crashloop' };
    const crashRows: Row[] = [];
    const metricRows: Row[] = [];
    const healthyRows: Row[] = [];
    const problems: string[] = [];

    // 1. The crash-looping chart, Helm alone: every run waits out the timeout, so they run together.
    const helmFailing = new Map<HelmUnderTest, Sample[]>();
    const helmNamespaces = await Promise.all(helms.map((helm) => prepareMany(helm, 'helm')));
    await Promise.all(
      helms.flatMap((helm, h) =>
        (helmNamespaces[h] ?? []).map(async (ns) => {
          const before = await stable(helm, ns, `app.kubernetes.io/instance=${release}`);
          const watch = await watchPods(ns);
          const outcome = await startTimed(helm.bin, helmUpgradeArgs(ns, crash, [helm.rollbackFlag, '--debug']), helmEnv(helm)).done;
          const crashAt = await watch.stop();
          // Helm 3: "Upgrade failed and atomic is set, rolling back to last successful release";
          // Helm 4: "Upgrade failed and rollback-on-failure is set, rolling back to previous successful release".
          const decided = outcome.lines.find((line) => /Upgrade failed and .* is set, rolling back/.test(line.text))?.at;
          const last = (await history(helm, ns)).at(-1);
          const problem =
            outcome.exitCode === 0
              ? 'helm exited 0 on a crash-looping upgrade'
              : last?.status === 'deployed' && last.description === 'Rollback to 1'
                ? undefined
                : `history ends with ${JSON.stringify(last)}, not "Rollback to 1"`;
          const samples = helmFailing.get(helm) ?? [];
          samples.push({
            wallMs: outcome.wallMs,
            decisionMs: decided === undefined ? undefined : decided - outcome.startedAt,
            crashToDecisionMs: decided === undefined || crashAt === undefined ? undefined : decided - crashAt,
            decisionToExitMs: decided === undefined ? undefined : outcome.endedAt - decided,
            ...compareStable(before, await stable(helm, ns, `app.kubernetes.io/instance=${release}`)),
            problem,
          });
          helmFailing.set(helm, samples);
        }),
      ),
    );

    for (const helm of helms) {
      // 2. Slipway's canary on the same crash-looping chart.
      const crashSamples: Sample[] = [];
      for (const ns of await prepareMany(helm, 'crash')) {
        const watch = await watchPods(ns);
        const r = await slipway(helm, ns, crash, ['--bake', failingBake]);
        const crashAt = await watch.stop();
        crashSamples.push(
          rolledBackSample(
            r,
            'health',
            { crashToDecisionMs: r.rollingBackAt === undefined || crashAt === undefined ? undefined : r.rollingBackAt - crashAt },
            (doc) =>
              /pod \S+ container app: CrashLoopBackOff/.test(doc.outputs.reason ?? '') ? undefined : `reason names no pod and container: ${doc.outputs.reason}`,
          ),
        );
      }
      crashRows.push(
        row(helm, `slipway canary (bake ${failingBake})`, crashSamples, problems),
        row(helm, `helm upgrade ${helm.rollbackFlag}`, helmFailing.get(helm) ?? [], problems),
      );

      // 3. A healthy canary whose error rate is raised once its first measurement passed.
      const metricSamples: Sample[] = [];
      for (const ns of await prepareMany(helm, 'metric')) {
        const version = `bench-${Math.random().toString(36).slice(2, 10)}`;
        versions.push(version);
        const ratio = `sum(rate(http_requests_total{version="${version}",code=~"5.."}[3s])) / sum(rate(http_requests_total{version="${version}"}[3s]))`;
        await control({ version, errorRate: 0, rps: 50 });
        // Traffic in Prometheus first (not timed), so the first measurement is a Pass rather than NoData.
        const warmDeadline = Date.now() + 30_000;
        while ((await promQuery(ratio)) !== 0 && Date.now() < warmDeadline) await sleep(500);
        const metrics = `- {name: error-rate, query: '${ratio}', threshold: "<= 1%", interval: ${metricInterval}}`;
        let raising: Promise<number> | undefined;
        const r = await slipway(helm, ns, { version }, ['--bake', failingBake, '--metrics', metrics, '--prometheus-url', prometheusUrl], (line) => {
          if (!raising && /canary: error-rate \S+ <= 1%$/.test(line.text)) raising = control({ version, errorRate }).then(() => Date.now());
        });
        const raisedAt = await raising;
        await control({ version, errorRate: 0, rps: 0 });
        const sample = rolledBackSample(r, 'analysis/error-rate', {
          raisedToDecisionMs: raisedAt === undefined || r.rollingBackAt === undefined ? undefined : r.rollingBackAt - raisedAt,
        });
        if (raisedAt === undefined) sample.problem = `no passing measurement before the failure, so the error rate was never raised; ${sample.problem ?? ''}`;
        metricSamples.push(sample);
      }
      metricRows.push(row(helm, 'slipway canary, metric gate', metricSamples, problems));

      // 4. A healthy canary through its three steps.
      const healthySamples: Sample[] = [];
      for (const ns of await prepareMany(helm, 'ok')) {
        const r = await slipway(helm, ns, { version: 'v2' }, ['--bake', healthyBake]);
        const problemsHere = r.problem ? [r.problem] : [];
        if (r.doc && (r.outcome.exitCode !== 0 || r.doc.outputs.result !== 'promoted' || r.doc.outputs.revision !== '2'))
          problemsHere.push(`exit ${r.outcome.exitCode}, result ${r.doc.outputs.result}, revision ${r.doc.outputs.revision}: ${r.doc.outputs.reason}`);
        const ready = await newPodsReady(ns);
        if (ready !== 2) problemsHere.push(`reported success with ${ready}/2 pods of the new ReplicaSet ready`);
        const promoteAt = r.at('promoting');
        const promotedAt = r.at('promoted');
        healthySamples.push({
          wallMs: r.outcome.wallMs,
          overheadMs: r.outcome.wallMs - configuredMs,
          gateMs: r.gateMs,
          startupMs: r.canaryAt === undefined ? undefined : r.canaryAt - r.outcome.startedAt,
          stepsOverheadMs: r.canaryAt === undefined || promoteAt === undefined ? undefined : promoteAt - r.canaryAt - configuredMs,
          promotionMs: promoteAt === undefined || promotedAt === undefined ? undefined : promotedAt - promoteAt,
          decisionToExitMs: promotedAt === undefined ? undefined : r.outcome.endedAt - promotedAt,
          problem: problemsHere.length ? `${problemsHere.join('; ')}\n${r.outcome.lines.map((line) => `    ${line.text}`).join('\n')}` : undefined,
        });
      }
      healthyRows.push(row(helm, `slipway canary (bake ${healthyBake})`, healthySamples, problems));
    }

    console.log(`Kubernetes ${kube} (kube-apiserver, KWOK nodes), ${helms.map((helm) => `${helm.label} ${helm.version}`).join(', ')}, Trivy ${trivy}`);
    console.log(
      `slipway CLI packages/cli/bin/slipway.mjs (dist built ${built.at}${built.stale ? `; OLDER than ${built.stale}` : ''}), sources at ${commit} (default policy gate, traffic replicas), node ${process.version}; ${runs} run(s) each, seconds: median [min-max]`,
    );
    console.log(`\n### Crash-looping canary (failureMode=crashloop; steps ${steps}, bake ${failingBake}, timeout ${timeout}; revision 1 healthy)\n`);
    printTable(
      [
        'helm',
        'tool',
        'wall',
        'start->rollback decision',
        'CrashLoopBackOff in API->decision',
        'canary start->decision',
        'decision->exit',
        'stable untouched',
        'checks',
      ],
      crashRows.map((r) => [r.helm, r.tool, r.wall, r.decision, r.crashToDecision, r.canaryToDecision, r.decisionToExit, r.stable, r.checks]),
    );
    console.log(
      `\n### Canary failing on its metric gate (error ratio raised to ${errorRate * 100}% after the first passing measurement; interval ${metricInterval}, failure-limit default; steps ${steps}, bake ${failingBake})\n`,
    );
    printTable(
      [
        'helm',
        'tool',
        'wall',
        'error raised->rollback decision',
        'start->rollback decision',
        'canary start->decision',
        'decision->exit',
        'stable untouched',
        'checks',
      ],
      metricRows.map((r) => [r.helm, r.tool, r.wall, r.raisedToDecision, r.decision, r.canaryToDecision, r.decisionToExit, r.stable, r.checks]),
    );
    console.log(`\n### Healthy canary (a new pod label; steps ${steps}, bake ${healthyBake}: ${configuredMs / 1000} s configured), to promoted\n`);
    printTable(
      [
        'helm',
        'tool',
        'wall',
        `wall - ${configuredMs / 1000} s`,
        'start->canary start',
        'policy gate',
        `steps - ${configuredMs / 1000} s`,
        'promotion',
        'promoted->exit',
        'checks',
      ],
      healthyRows.map((r) => [r.helm, r.tool, r.wall, r.overhead, r.startup, r.gate, r.stepsOverhead, r.promotion, r.decisionToExit, r.checks]),
    );
    console.log(
      [
        '',
        "wall: spawn to exit of the process. start->rollback decision: spawn to the journal's (slipway-journal-demo) `rolling-back`",
        '  event, or to Helm\'s --debug line "Upgrade failed and ... is set, rolling back" (time the line arrived); decision->exit: from there to the exit.',
        "CrashLoopBackOff in API->decision: the bench's own `kubectl get pods --watch` first printing a pod waiting in CrashLoopBackOff, to the",
        "  decision; the sandbox's crashloop stage reports it 2 s after a pod starts running. Both watches see the same API event: a",
        "  negative figure is Slipway's watch printing before the bench's kubectl did (kubectl's own latency, about 0.1 s).",
        "canary start->decision: the journal's `canary: starting` event to `rolling-back` (after render, policy gate, Lease and history).",
        `error raised->rollback decision: the bench's POST /control {"version":"bench-<random>","errorRate":${errorRate}}, sent when the first`,
        '  `canary: error-rate ... <= 1%` line arrived, to `rolling-back`; the query is a 3 s rate, so failing takes a scrape or two, then two',
        '  failed measurements (more than failure-limit 1) 2 s apart.',
        "stable untouched: runs whose helm revision and stable pods (UIDs, canary pods excluded) are the same before and after; Helm's",
        '  rollback is a new revision ("Rollback to 1").',
        `wall - ${configuredMs / 1000} s: what the canary costs over its configured bake times; start->canary start: render, policy gate, Lease, history;`,
        `  steps - ${configuredMs / 1000} s: the journal's \`canary: starting\` to the promotion decision, minus the bake times (scaling, rollout`,
        '  watch at each step); promotion: promotion decision to `promoted` (helm upgrade of stable, its watch, canary removal).',
        'checks: slipway exit 1, result rolled-back on the named gate (health: reason names pod and container), stable untouched, no canary',
        '  object left (label slipway.dev/canary-of); healthy: exit 0, promoted to revision 2, 2/2 new pods ready, no canary object left;',
        '  helm: exit code non-zero and history ending "Rollback to 1" (deployed).',
        `The helm-alone failing runs (${helms.length * runs}) ran concurrently, each in its own namespace: they wait out the timeout.`,
      ].join('\n'),
    );
    for (const problem of problems) console.log(`\nproblem: ${problem}`);
  } finally {
    for (const version of versions) await control({ version, errorRate: 0, rps: 0 }).catch(() => undefined);
    await deleteNamespaces();
  }
}

/** When the CLI's dist/ was built, and the newest product source file when that is newer (a stale build). */
function builtAt(): { at: string; stale?: string | undefined } {
  const program = path.join(root, 'packages/cli/dist/slipway.mjs');
  if (!existsSync(program)) return { at: 'missing' };
  const builtMs = statSync(program).mtimeMs;
  let newest: { file: string; ms: number } | undefined;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        const ms = statSync(file).mtimeMs;
        if (!newest || ms > newest.ms) newest = { file, ms };
      }
    }
  };
  for (const pkg of ['core', 'cli']) walk(path.join(root, 'packages', pkg, 'src'));
  const found = newest as { file: string; ms: number } | undefined;
  return {
    at: new Date(builtMs).toISOString(),
    stale: found && found.ms > builtMs ? `${path.relative(root, found.file)} (${new Date(found.ms).toISOString()})` : undefined,
  };
}

interface Row extends BaseRow {
  crashToDecision: string;
  canaryToDecision: string;
  raisedToDecision: string;
  stepsOverhead: string;
  promotion: string;
  overhead: string;
  stable: string;
}

/** One table row of formatted figures; failed checks go to `problems`. */
function row(helm: HelmUnderTest, tool: string, samples: Sample[], problems: string[]): Row {
  const { figure, columns } = tally(helm, tool, samples, problems);
  const untouched = samples.filter((sample) => sample.stableUntouched).length;
  const notes = [...new Set(samples.map((sample) => sample.stableNote).filter(Boolean))];
  return {
    ...columns,
    crashToDecision: figure((s) => s.crashToDecisionMs),
    canaryToDecision: figure((s) => s.canaryToDecisionMs),
    raisedToDecision: figure((s) => s.raisedToDecisionMs),
    stepsOverhead: figure((s) => s.stepsOverheadMs),
    promotion: figure((s) => s.promotionMs),
    overhead: figure((s) => s.overheadMs),
    stable: samples.some((sample) => sample.stableUntouched !== undefined)
      ? `${untouched}/${samples.length}${notes.length ? ` (${notes.join('; ')})` : ''}`
      : '-',
  };
}

/** A Markdown table, its columns padded so that it also reads as plain text. */
function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.replaceAll('|', '\\|').padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

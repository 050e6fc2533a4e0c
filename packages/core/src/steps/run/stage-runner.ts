import { CancelledError, describeError, InvalidInputsError } from '../../errors/index.ts';
import type { StageKind, StageRecord } from '../../report/run-report.ts';
import type { AnyStepDefinition, StepReport } from '../framework/step-definition.ts';
import type { StepDeps, StepLog } from '../framework/step-deps.ts';
import { checkStageInputs, type StageCheck, type StageHome } from './check-stage-inputs.ts';
import type { StageInputs } from './stage-inputs.ts';

/** The stages' records, in the order they started, with their timings. */
export class StageLedger {
  readonly records: StageRecord[] = [];
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** A stage that did not run: skipped by `only`/`from`, or because an earlier stage failed, or planned by a dry run. */
  note(id: string, stage: StageKind, status: 'skipped' | 'planned', detail: string, image?: string): void {
    this.records.push({ id, stage, image, status, detail });
  }

  /** Runs one stage's step and records it; returns the step's report, or throws what the step threw. */
  async run(
    spec: { id: string; stage: StageKind; image?: string | undefined; step: AnyStepDefinition; inputs: StageInputs; home: StageHome; check: StageCheck },
    deps: StepDeps,
    options: { buffered: boolean; describe: (report: StepReport) => string },
  ): Promise<StepReport> {
    const startedAt = this.#now();
    const started: StageRecord = {
      id: spec.id,
      stage: spec.stage,
      image: spec.image,
      status: 'planned',
      detail: 'running',
      startedAt: startedAt.toISOString(),
    };
    const index = this.records.push(started) - 1;
    const finish = (status: StageRecord['status'], detail: string, outputs?: Record<string, string>) => {
      const endedAt = this.#now();
      const durationMs = endedAt.getTime() - startedAt.getTime();
      this.records[index] = { ...started, status, detail, endedAt: endedAt.toISOString(), durationMs, ...(outputs ? { outputs } : {}) };
      deps.log.info(`${statusMark[status] ?? '•'} ${spec.id} ${status} in ${seconds(durationMs)}: ${detail}`);
    };
    const log = options.buffered ? new BufferedLog(deps.log) : undefined;
    const stageDeps: StepDeps = { ...deps, log: log ?? flatGroups(deps.log) };
    try {
      const report = await (log ? runBuffered() : deps.log.group(spec.id, runStep));
      finish(report.outcome === 'succeeded' ? 'succeeded' : report.outcome, options.describe(report), report.outputs);
      return report;
    } catch (error) {
      const cancelled = error instanceof CancelledError || deps.signal.aborted;
      finish(cancelled ? 'cancelled' : 'failed', describeError(error).split('\n')[0] ?? 'failed');
      throw error;
    }

    async function runStep(): Promise<StepReport> {
      const inputs = await checkStageInputs(spec.step, spec.inputs, spec.home, spec.check, { ignoreChained: false });
      // The values earlier stages produced are Slipway's own; a problem with them is reported as the step's.
      if (inputs === undefined) {
        spec.check.problems.throwIfAny();
        throw new InvalidInputsError(spec.check.runProblems.list);
      }
      return spec.step.run(inputs, stageDeps);
    }

    async function runBuffered(): Promise<StepReport> {
      deps.log.info(`▸ ${spec.id} started`);
      try {
        return await runStep();
      } finally {
        await deps.log.group(spec.id, async () => log?.flush());
      }
    }
  }
}

const statusMark: Partial<Record<StageRecord['status'], string>> = { succeeded: '✔', 'gate-failed': '✖', failed: '✖', 'needs-human': '⚠', cancelled: '⊘' };

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * A step's own log groups inside a stage's group: the hosts' groups do not nest (GitHub ends the outer
 * one), so an inner group is a heading line instead.
 */
function flatGroups(log: StepLog): StepLog {
  return {
    ...log,
    group: async (title, fn) => {
      log.info(`── ${title}`);
      return fn();
    },
  };
}

/**
 * The log of a stage that runs beside others (images build in parallel): kept until the stage ends and
 * then written as one group, so that each image's lines read together rather than interleaved.
 */
class BufferedLog implements StepLog {
  readonly #lines: { level: 'info' | 'warning' | 'debug'; message: string }[] = [];
  readonly #target: StepLog;

  constructor(target: StepLog) {
    this.#target = target;
  }

  info(message: string): void {
    this.#lines.push({ level: 'info', message });
  }

  warning(message: string): void {
    this.#lines.push({ level: 'warning', message });
  }

  debug(message: string): void {
    this.#lines.push({ level: 'debug', message });
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.info(`── ${title}`);
    return fn();
  }

  flush(): void {
    for (const line of this.#lines.splice(0)) this.#target[line.level](line.message);
  }
}

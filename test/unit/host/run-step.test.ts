import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { defineStep, ExitCode, registerStep, runStep, SlipwayError, type CiContext, type Host, type StepDeps, type StepSpec } from '@slipway/core';

/** A Host that keeps everything in memory, so a test can see what a runner or agent would have got. */
class FakeHost implements Host {
  readonly kind = 'cli' as const;
  readonly signal = new AbortController().signal;
  readonly tempDir = os.tmpdir();
  readonly workspace = process.cwd();
  readonly env: Record<string, string | undefined> = { PATH: process.env.PATH };
  readonly lines: { level: string; text: string }[] = [];
  readonly secrets: string[] = [];
  readonly outputs: Record<string, string> = {};
  readonly state = new Map<string, string>();
  ciContextCalls = 0;

  constructor(readonly inputs: Record<string, string> = {}) {}

  getInput(name: string): string | undefined {
    return this.inputs[name];
  }

  readonly log = {
    info: (text: string) => this.lines.push({ level: 'info', text }),
    warning: (text: string) => this.lines.push({ level: 'warning', text }),
    error: (text: string) => this.lines.push({ level: 'error', text }),
    debug: (text: string) => this.lines.push({ level: 'debug', text }),
    command: (text: string) => this.lines.push({ level: 'command', text }),
  };

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'group', text: title });
    return fn();
  }

  setSecret(value: string): void {
    this.secrets.push(value);
  }

  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }

  exportVariable(): void {}

  async appendSummary(): Promise<void> {}

  getState(name: string): string | undefined {
    return this.state.get(name);
  }

  saveState(name: string, value: string): void {
    this.state.set(name, value);
  }

  async ciContext(): Promise<CiContext> {
    this.ciContextCalls++;
    return { sha: 'a1b2c3d', branch: 'main' };
  }

  at(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.text);
  }
}

function spec(id: string, postPhase = false): StepSpec {
  return {
    id,
    title: id,
    description: id,
    taskName: `Test${id}V1`,
    taskId: '00000000-0000-0000-0000-000000000000',
    taskVersion: { major: 1, minor: 0, patch: 0 },
    branding: { icon: 'box', color: 'blue' },
    groups: [],
    postPhase,
    inputs: [{ name: 'token', type: 'string', secret: true, description: 'a secret' }],
    outputs: [],
  };
}

/** Registers a step whose main phase is `run` and, when given, whose post phase is `post`. */
function testStep(id: string, run: (deps: StepDeps) => Promise<void>, post?: (deps: StepDeps) => Promise<void>): string {
  registerStep(
    defineStep({
      spec: spec(id, post !== undefined),
      validate: (values) => values,
      async run(_inputs, deps) {
        await run(deps);
        return { outcome: 'succeeded', outputs: {}, summary: '', result: null };
      },
      ...(post ? { post } : {}),
    }),
  );
  return id;
}

describe('runStep: ciContext', () => {
  it('never asks the host for it when the step does not need it', async () => {
    const host = new FakeHost();
    const outcome = await runStep(
      host,
      testStep('no-git', async () => {}),
    );
    expect(outcome.exitCode).toBe(0);
    expect(host.ciContextCalls).toBe(0);
  });

  it('asks once however often the step does', async () => {
    const host = new FakeHost();
    const seen: CiContext[] = [];
    await runStep(
      host,
      testStep('git-twice', async (deps) => void seen.push(await deps.ciContext(), await deps.ciContext())),
    );
    expect(host.ciContextCalls).toBe(1);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]?.sha).toBe('a1b2c3d');
  });
});

describe('runStep: secrets', () => {
  it('does not mask a secret input too short to be one, and warns naming the input, never the value', async () => {
    const host = new FakeHost({ token: 'q7' });
    const outcome = await runStep(
      host,
      testStep('short-secret', async (deps) => deps.log.info('q7 stays readable')),
    );
    expect(outcome.exitCode).toBe(0);
    expect(host.secrets).toEqual([]);
    expect(host.at('info')).toContain('q7 stays readable');
    const warning = host.at('warning').join('\n');
    expect(warning).toContain("input 'token'");
    expect(warning).toContain('not masked');
    expect(warning).not.toContain('q7');
  });

  it('masks a real one in the host and redacts it from what the step logs, even where the host would change its spelling', async () => {
    const host = new FakeHost({ token: '::s3cret-token' });
    await runStep(
      host,
      testStep('real-secret', async (deps) => deps.log.info('token is ::s3cret-token')),
    );
    expect(host.secrets).toEqual(['::s3cret-token']);
    expect(host.at('info')).toContain('token is ***');
  });
});

describe('runStep: failures Slipway did not anticipate', () => {
  it('are one line with the message and UNEXPECTED; the stack only at debug level', async () => {
    const host = new FakeHost();
    const outcome = await runStep(
      host,
      testStep('unexpected', async () => {
        throw new TypeError("EEXIST: file already exists, mkdir '/etc/passwd/x'\nsecond line");
      }),
    );
    expect(outcome.exitCode).toBe(ExitCode.environment);
    expect(outcome.error?.code).toBe('UNEXPECTED');
    expect(host.at('error')).toEqual(["EEXIST: file already exists, mkdir '/etc/passwd/x'\\nsecond line (UNEXPECTED)"]);
    expect(host.at('error').join('\n')).not.toMatch(/\n\s+at /);
    expect(host.at('debug').join('\n')).toMatch(/TypeError: EEXIST[\s\S]*\n\s+at /);
  });
});

describe('runStep: post phase', () => {
  it('reads what the main phase saved', async () => {
    const host = new FakeHost();
    const read: (string | undefined)[] = [];
    const id = testStep(
      'saves-state',
      async (deps) => deps.state.save('kubeconfig', '/tmp/k'),
      async (deps) => void read.push(deps.state.get('kubeconfig'), deps.state.get('never-saved')),
    );
    expect((await runStep(host, id)).exitCode).toBe(0);
    expect(read).toEqual([]);
    expect((await runStep(host, id, 'post')).exitCode).toBe(0);
    expect(read).toEqual(['/tmp/k', undefined]);
  });

  it('turns a failed cleanup into a warning and exit 0', async () => {
    const host = new FakeHost();
    const id = testStep(
      'post-warns',
      async () => {},
      async () => {
        throw new SlipwayError('REGISTRY_FAILED', 'could not delete the temporary tag', ExitCode.environment);
      },
    );
    const outcome = await runStep(host, id, 'post');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.warning?.code).toBe('REGISTRY_FAILED');
    expect(host.at('warning').join('\n')).toContain('could not delete the temporary tag');
    expect(host.at('error')).toEqual([]);
  });

  it('fails with exit 4 when the cleanup left the environment unclean', async () => {
    const host = new FakeHost();
    const id = testStep(
      'post-dirty',
      async () => {},
      async () => {
        throw new SlipwayError('CLEANUP_INCOMPLETE', 'the kubeconfig could not be removed', ExitCode.needsHuman);
      },
    );
    const outcome = await runStep(host, id, 'post');
    expect(outcome.exitCode).toBe(ExitCode.needsHuman);
    expect(outcome.error?.code).toBe('CLEANUP_INCOMPLETE');
    expect(host.at('error').join('\n')).toContain('the kubeconfig could not be removed');
  });

  it('is a no-op for a step without one', async () => {
    const host = new FakeHost();
    const outcome = await runStep(
      host,
      testStep('no-post', async () => {}),
      'post',
    );
    expect(outcome).toEqual({ exitCode: 0 });
    expect(host.at('error')).toEqual([]);
  });
});

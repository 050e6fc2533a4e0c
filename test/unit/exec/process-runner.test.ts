import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ExecError,
  inputVariables,
  maxTimerDelayMs,
  ProcessRunner,
  Redactor,
  sleep,
  ToolNotFoundError,
  type WithheldVariable,
} from '@slipway/core';

function makeRunner(options: { signal?: AbortSignal; secrets?: string[]; env?: Record<string, string>; withholdEnv?: WithheldVariable } = {}) {
  const commands: string[] = [];
  const redactor = new Redactor();
  for (const secret of options.secrets ?? []) redactor.add(secret);
  const runner = new ProcessRunner({
    redactor,
    log: { command: (line) => commands.push(line), debug: () => {} },
    signal: options.signal,
    baseEnv: { PATH: process.env.PATH, ...options.env },
    ...(options.withholdEnv ? { withholdEnv: options.withholdEnv } : {}),
  });
  return { runner, commands, redactor };
}

/** Collects the process warnings (TimeoutOverflowWarning) emitted while `fn` runs. */
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error) => seen.push(warning.name);
  process.on('warning', onWarning);
  try {
    await fn();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

const node = process.execPath;

describe('ProcessRunner', () => {
  it('passes arguments as data, never through a shell', async () => {
    const { runner } = makeRunner();
    const hostile = '$(echo pwned); `id` && echo > /tmp/x | cat';
    const { stdout } = await runner.run(node, ['-e', 'process.stdout.write(process.argv[1])', hostile]);
    expect(stdout).toBe(hostile);
  });

  it('gives secrets to the child through env and stdin, and redacts them from the echo and from errors', async () => {
    const { runner, commands } = makeRunner({ secrets: ['hunter2-secret'] });
    const { stdout } = await runner.run(node, ['-e', 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>process.stdout.write(d+":"+process.env.TOKEN))'], {
      stdin: 'from-stdin',
      env: { TOKEN: 'from-env' },
    });
    expect(stdout).toBe('from-stdin:from-env');

    const failing = runner.run(node, ['-e', 'console.error("denied for hunter2-secret"); process.exit(7)', '--', '--label=hunter2-secret']);
    await expect(failing).rejects.toBeInstanceOf(ExecError);
    const error = (await failing.catch((e: unknown) => e)) as ExecError;
    expect(error.toolExitCode).toBe(7);
    expect(error.exitCode).toBe(3);
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.stderrTail).toBe('denied for ***');
    expect(commands.at(-1)).toContain('--label=***');
    expect(commands.join('\n')).not.toContain('hunter2-secret');
  });

  it('streams redacted lines while the tool runs', async () => {
    const { runner } = makeRunner({ secrets: ['tok3n'] });
    const lines: string[] = [];
    await runner.run(node, ['-e', 'console.log("one"); console.error("two tok3n"); console.log("three")'], {
      onLine: (line, stream) => lines.push(`${stream}:${line}`),
    });
    expect(lines.sort()).toEqual(['stderr:two ***', 'stdout:one', 'stdout:three']);
  });

  it('accepts listed exit codes', async () => {
    const { runner } = makeRunner();
    const result = await runner.run(node, ['-e', 'process.exit(1)'], { okExitCodes: [0, 1] });
    expect(result.exitCode).toBe(1);
  });

  it('reports a missing tool as ToolNotFoundError (exit 3)', async () => {
    const { runner } = makeRunner();
    await expect(runner.run('slipway-no-such-tool', [])).rejects.toBeInstanceOf(ToolNotFoundError);
  });

  it('kills a tool that runs past its timeout', async () => {
    const { runner } = makeRunner();
    const started = Date.now();
    const error = (await runner.run(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 }).catch((e: unknown) => e)) as ExecError;
    expect(error).toBeInstanceOf(ExecError);
    expect(error.timedOut).toBe(true);
    expect(error.code).toBe('EXEC_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops the tool when the host cancels', async () => {
    const controller = new AbortController();
    const { runner } = makeRunner({ signal: controller.signal });
    const running = runner.run(node, ['-e', 'setTimeout(() => {}, 60000)']);
    setTimeout(() => controller.abort(), 200);
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await expect(runner.run(node, ['-e', ''])).rejects.toBeInstanceOf(CancelledError);
  });

  it('echoes an argument with line breaks on one line, and still redacts a secret inside it', async () => {
    const { runner, commands } = makeRunner({ secrets: ["pa'ss\nword-2"] });
    await runner.run(node, ['-e', '', 'A=hi\n::set-output name=digest::pwned', "--password=pa'ss\nword-2"]);
    const echo = commands.at(-1) ?? '';
    expect(echo.split('\n')).toHaveLength(1);
    expect(echo).toContain("$'A=hi\\n::set-output name=digest::pwned'");
    expect(echo).toContain("'--password=***'");
    expect(echo).not.toContain('word-2');
  });
});

describe('what children inherit', () => {
  const printEnv = ['-e', 'process.stdout.write(JSON.stringify(process.env))'];

  it('withholds input variables and any variable whose value is a known secret; per-run env is given as is', async () => {
    const { runner } = makeRunner({
      secrets: ['s3cret-value'],
      env: {
        'INPUT_CLIENT-SECRET': 's3cret-value',
        INPUT_IMAGE: 'app',
        SLIPWAY_CLIENT_SECRET: 'other-secret',
        SLIPWAY_NPM_TOKEN: 'kept-for-secret-envs',
        COPY_OF_SECRET: 's3cret-value',
        KEEP: 'yes',
      },
      withholdEnv: inputVariables(['client-secret', 'image']),
    });
    const { stdout } = await runner.run(node, printEnv, { env: { TRIVY_PASSWORD: 's3cret-value' } });
    const env = JSON.parse(stdout) as Record<string, string>;
    expect(env.KEEP).toBe('yes');
    expect(env.SLIPWAY_NPM_TOKEN).toBe('kept-for-secret-envs');
    expect(env.TRIVY_PASSWORD).toBe('s3cret-value');
    for (const name of ['INPUT_CLIENT-SECRET', 'INPUT_IMAGE', 'SLIPWAY_CLIENT_SECRET', 'COPY_OF_SECRET']) expect(env).not.toHaveProperty(name);
  });

  it('withholds a value masked after the runner was made (a token from an exchange) from the next child', async () => {
    const { runner, redactor } = makeRunner({ env: { ACR_TOKEN: 'token-from-exchange' } });
    expect(JSON.parse((await runner.run(node, printEnv)).stdout)).toHaveProperty('ACR_TOKEN');
    redactor.add('token-from-exchange');
    expect(JSON.parse((await runner.run(node, printEnv)).stdout)).not.toHaveProperty('ACR_TOKEN');
  });

  it('never masks, and so never withholds, values too short to be secrets', async () => {
    const { runner, redactor, commands } = makeRunner({ env: { ONE: 'a' } });
    expect(redactor.add('a')).toBe(false);
    const { stdout } = await runner.run(node, ['-e', 'process.stdout.write(process.env.ONE)', 'banana']);
    expect(stdout).toBe('a');
    expect(commands.at(-1)).toContain('banana');
  });
});

describe('time limits past the timer maximum (597h and more)', () => {
  it('let a tool run instead of killing it after 1 ms', async () => {
    const { runner } = makeRunner();
    const warnings = await warningsDuring(async () => {
      const result = await runner.run(node, ['-e', 'setTimeout(() => process.stdout.write("done"), 300)'], { timeoutMs: 597 * 3_600_000 });
      expect(result.stdout).toBe('done');
    });
    expect(warnings).not.toContain('TimeoutOverflowWarning');
    const canRun = await runner.canRun(node, ['-e', 'setTimeout(() => {}, 300)'], Number.MAX_SAFE_INTEGER);
    expect(canRun).toBe(true);
  });

  it('sleep waits past the limit instead of returning at once, and still stops when cancelled', async () => {
    const controller = new AbortController();
    let settled = 'pending';
    const warnings = await warningsDuring(async () => {
      const waiting = sleep(maxTimerDelayMs + 1_000, controller.signal).then(
        () => (settled = 'resolved'),
        (error: unknown) => (settled = error instanceof CancelledError ? 'cancelled' : 'failed'),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled).toBe('pending');
      controller.abort();
      await waiting;
    });
    expect(settled).toBe('cancelled');
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});

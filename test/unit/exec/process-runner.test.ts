import { describe, expect, it } from 'vitest';
import { CancelledError, ExecError, ProcessRunner, Redactor, ToolNotFoundError } from '@slipway/core';

function makeRunner(options: { signal?: AbortSignal; secrets?: string[] } = {}) {
  const commands: string[] = [];
  const redactor = new Redactor();
  for (const secret of options.secrets ?? []) redactor.add(secret);
  const runner = new ProcessRunner({
    redactor,
    log: { command: (line) => commands.push(line), debug: () => {} },
    signal: options.signal,
    baseEnv: { PATH: process.env.PATH },
  });
  return { runner, commands };
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
});

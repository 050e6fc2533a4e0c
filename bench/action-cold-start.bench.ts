/**
 * Cold start of the bundled GitHub action (process start to its first log line) and the size of each
 * committed bundle. The action is started the way the runner starts it and killed after its first line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = path.resolve(import.meta.dirname, '..');

function firstLineMs(): Promise<number> {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-'));
  const env = {
    PATH: process.env.PATH ?? '',
    RUNNER_TEMP: temp,
    GITHUB_WORKSPACE: path.join(root, 'examples/hello'),
    INPUT_IMAGE: 'localhost/bench',
    INPUT_BUILDER: 'buildah',
    INPUT_TAGS: 'bench',
  };
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(root, 'actions/build/main.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.once('data', () => {
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
      child.kill('SIGKILL');
    });
    child.on('error', reject);
  });
}

export async function run(): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) samples.push(await firstLineMs());
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]?.toFixed(1);
  console.log(`github action cold start to first log line: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms (n=${samples.length})`);
  for (const bundle of ['actions/_bundle/slipway.mjs', 'tasks/_bundle/slipway.cjs', 'packages/cli/dist/slipway.mjs']) {
    const file = path.join(root, bundle);
    const size = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    console.log(`${bundle}: ${(size / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzip)`);
  }
}

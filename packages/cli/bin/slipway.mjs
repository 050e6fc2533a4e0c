#!/usr/bin/env node
// The `slipway` command. It only loads the built program, because `bin` must name a file that exists
// when npm links bins: in a clone, npm links them before the root `prepare` script builds dist/ (which is
// not committed), and a bin pointing into dist/ is silently skipped ("could not determine executable").
import { existsSync } from 'node:fs';

const program = new URL('../dist/slipway.mjs', import.meta.url);
if (existsSync(program)) {
  await import(program.href);
} else {
  // Only a clone installed with --ignore-scripts gets here; exit 3 is "environment error" in every host.
  process.stderr.write('slipway: the CLI is not built (packages/cli/dist/ is missing): run `npm run build:cli` in the repository\n');
  process.exitCode = 3;
}

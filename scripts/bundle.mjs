#!/usr/bin/env node
// Bundles the three hosts with esbuild: one shared bundle per host, committed for actions and tasks
// (GitHub runs actions straight from the repository), built on install for the CLI.
// `--check` builds into a temp dir and fails when a committed bundle differs (the staleness test).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const args = new Set(process.argv.slice(2));

/** Bundles whose output is committed; `--check` compares these. */
export const committedBundles = [
  {
    name: 'github',
    entry: 'packages/github/src/index.ts',
    outfile: 'actions/_bundle/slipway.mjs',
    format: 'esm',
    // Some CommonJS dependencies call require(); ESM output needs it defined.
    banner: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
  },
  {
    name: 'azure-pipelines',
    entry: 'packages/azure-pipelines/src/index.ts',
    outfile: 'tasks/_bundle/slipway.cjs',
    format: 'cjs',
  },
];

const cliBundle = {
  name: 'cli',
  entry: 'packages/cli/src/bin.ts',
  outfile: 'packages/cli/dist/slipway.mjs',
  format: 'esm',
  banner: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
};

async function bundle(spec, outfile) {
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, spec.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: spec.format,
    banner: spec.banner ? { js: spec.banner } : undefined,
    define: { SLIPWAY_VERSION: JSON.stringify(version) },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // import.meta.url in ESM dependencies bundled to CommonJS.
    ...(spec.format === 'cjs' ? { define: { SLIPWAY_VERSION: JSON.stringify(version), 'import.meta.url': '__slipway_import_meta_url' }, banner: { js: "const __slipway_import_meta_url = require('node:url').pathToFileURL(__filename).href;" } } : {}),
  });
  return result;
}

async function main() {
  const targets = args.has('--cli-only') ? [] : committedBundles;
  if (args.has('--check')) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-bundle-check-'));
    const stale = [];
    try {
      for (const spec of committedBundles) {
        const out = path.join(dir, path.basename(spec.outfile));
        await bundle(spec, out);
        const committed = path.join(root, spec.outfile);
        if (!existsSync(committed) || readFileSync(committed, 'utf8') !== readFileSync(out, 'utf8')) stale.push(spec.outfile);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (stale.length > 0) {
      console.error(`stale bundle(s): ${stale.join(', ')}; run \`npm run generate\` and commit the result`);
      process.exit(1);
    }
    return;
  }
  for (const spec of [...targets, cliBundle]) {
    await bundle(spec, path.join(root, spec.outfile));
  }
  // task-lib loads its message catalogue from beside its own file; the bundle is that file now.
  if (targets.length > 0) {
    copyFileSync(path.join(root, 'node_modules/azure-pipelines-task-lib/lib.json'), path.join(root, 'tasks/_bundle/lib.json'));
  }
}

await main();

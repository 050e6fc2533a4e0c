#!/usr/bin/env node
// Bundles the three hosts with esbuild. The action and task bundles are committed (GitHub runs actions
// straight from the repository); the CLI's is built on install (root `prepare`) and on `npm pack`.
//
// Each step loads only what it uses: a step's run code is a dynamic import() (see steps/*/*-step.ts), and
// every bundle is split at those imports. The entry (slipway.mjs, slipway.cjs) holds the host, the specs
// and validation; each step's run code, with @azure/identity, @azure/container-registry and the rest,
// sits in chunks beside it that load only when that step runs. esbuild splits only ESM, so the task
// bundle is split as ESM and each file then turned into CommonJS. (One CommonJS file with lazily
// initialised modules was measured too: every task then parses all of it at start, ~12 ms more.)
//
// `--check` builds in memory and fails when any committed file differs, is missing or is left over
// (an old chunk): the staleness test.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readVersion = (file) => JSON.parse(readFileSync(path.join(root, file), 'utf8')).version;
const args = new Set(process.argv.slice(2));

// ESM output has no `require`; some bundled CommonJS dependencies call it for Node built-ins.
const esmRequireBanner = "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);";

/**
 * Code that runs nothing at import time beyond defining its exports, declared so here because esbuild
 * keeps, and runs at start, every module it cannot prove side-effect free, even when nothing of it is used:
 *  - Slipway's own core: the hosts import the package index, which re-exports every step's run code;
 *    without this, one top-level `new Set(...)` in a run module (acr-push.ts had one) keeps its imports,
 *    @azure/container-registry or @azure/identity, in the start-up path of every step.
 *  - @actions/*: @actions/core imports its OIDC client, hence @actions/http-client and undici (~540 KiB),
 *    whether or not getIDToken is ever called; declared free of side effects, they go as soon as
 *    nothing calls core.getIDToken.
 *  - @kubernetes/client-node: its index re-exports every API group, watch, exec, port-forward and their
 *    dependencies (~5 MB); declared free of side effects, the aks-context chunk keeps what KubeApi names.
 * The package.json `sideEffects` field says the same for packages that set it (the Azure SDKs do).
 */
const sideEffectFree = [/\/packages\/core\/src\//, /\/node_modules\/@actions\//, /\/node_modules\/@kubernetes\/client-node\//];

/** @type {import('esbuild').Plugin} */
const sideEffectFreePlugin = {
  name: 'side-effect-free',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, async (resolveArgs) => {
      if (resolveArgs.pluginData === sideEffectFreePlugin) return undefined;
      const resolved = await pluginBuild.resolve(resolveArgs.path, {
        kind: resolveArgs.kind,
        importer: resolveArgs.importer,
        resolveDir: resolveArgs.resolveDir,
        pluginData: sideEffectFreePlugin,
      });
      // Unresolved: esbuild's own resolver decides, which leaves an optional `require` in a try block
      // (ws's bufferutil, node-fetch's encoding) to fail at run time, as its package intends.
      if (resolved.errors.length > 0) return undefined;
      if (!sideEffectFree.some((pattern) => pattern.test(resolved.path))) return resolved;
      return { ...resolved, sideEffects: false };
    });
  },
};

/** What each host's bundle directory holds. Directories are owned whole: a rebuild replaces them. */
const targets = [
  {
    name: 'github',
    committed: true,
    outdir: 'actions/_bundle',
    // actions/<step>/main.mjs imports runGitHubAction from here; actions/aks-context/kube-token.mjs the
    // credential plugin from kube-token.mjs, which kubectl starts often and which needs none of the host.
    entryPoints: { slipway: 'packages/github/src/index.ts', 'kube-token': 'packages/core/src/azure/kube-token-plugin.ts' },
    format: 'esm',
    version: readVersion('package.json'),
  },
  {
    name: 'azure-pipelines',
    committed: true,
    outdir: 'tasks/_bundle',
    // tasks/<Task>/index.js requires this file; scripts/package-extension.mjs copies the whole directory.
    // tasks/SlipwayAksContextV1/kube-token.js requires kube-token.cjs: the plugin must not load the
    // task-lib, which prints ##vso[task.debug] lines on stdout, where kubectl reads the ExecCredential.
    entryPoints: { slipway: 'packages/azure-pipelines/src/index.ts', 'kube-token': 'packages/core/src/azure/kube-token-plugin.ts' },
    format: 'cjs',
    version: readVersion('package.json'),
    // task-lib loads its message catalogue from beside its own code, which is in this directory now.
    extraFiles: { 'lib.json': 'node_modules/azure-pipelines-task-lib/lib.json' },
  },
  {
    name: 'cli',
    committed: false,
    outdir: 'packages/cli/dist',
    // slipway.mjs is the program (packages/cli/bin/slipway.mjs loads it); index.mjs the package's exports.
    entryPoints: { slipway: 'packages/cli/src/bin.ts', index: 'packages/cli/src/index.ts' },
    format: 'esm',
    version: readVersion('packages/cli/package.json'),
  },
];

/** Builds one target in memory: every output file by its path relative to the target's outdir. */
async function buildTarget(target) {
  const cjs = target.format === 'cjs';
  const extension = cjs ? '.cjs' : '.mjs';
  // Split as ESM in every case (esbuild splits only ESM), then turn each file into CommonJS for the
  // task bundle. Chunks sit beside the entry, not in a subdirectory, so that dependencies that read
  // files next to their own code (task-lib's lib.json) find them wherever their code lands.
  const result = await build({
    absWorkingDir: root,
    entryPoints: target.entryPoints,
    outdir: path.join(root, target.outdir),
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': extension },
    bundle: true,
    splitting: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: cjs ? undefined : { js: esmRequireBanner },
    define: {
      SLIPWAY_VERSION: JSON.stringify(target.version),
      // import.meta.url in ESM dependencies bundled to CommonJS.
      ...(cjs ? { 'import.meta.url': '__slipway_import_meta_url' } : {}),
    },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins: [sideEffectFreePlugin],
  });
  const files = new Map();
  for (const file of result.outputFiles) {
    const name = path.relative(path.join(root, target.outdir), file.path);
    files.set(name, cjs ? Buffer.from(await toCommonJs(file.text, name)) : Buffer.from(file.contents));
  }
  for (const [name, source] of Object.entries(target.extraFiles ?? {})) files.set(name, readFileSync(path.join(root, source)));
  files.set('THIRD-PARTY-NOTICES.txt', Buffer.from(thirdPartyNotices(result.metafile)));
  return files;
}

/**
 * One split ESM file as CommonJS: static imports become require(), and dynamic import() becomes a
 * require() on first use, so a task never goes through Node's ESM loader (the agent's Node 20 handler
 * may predate require(esm)) and still loads a step's run code only when that step runs.
 */
async function toCommonJs(source, name) {
  const { code, warnings } = await transform(source, {
    format: 'cjs',
    loader: 'js',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    banner: "const __slipway_import_meta_url = require('node:url').pathToFileURL(__filename).href;",
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    sourcefile: name,
    // webidl-conversions (node-fetch's URL code, in @kubernetes/client-node) means `x === -0`; any other warning stops the build.
    logOverride: { 'equals-negative-zero': 'silent' },
  });
  if (warnings.length > 0) throw new Error(`${name}: ${warnings.map((warning) => warning.text).join('; ')}`);
  return code;
}

/**
 * The licences of every package whose code is in the bundle (MIT and ISC ask for the notice to travel
 * with the code, and legalComments: 'none' strips the few that carry it inline).
 */
function thirdPartyNotices(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.set(match[1], true);
  }
  const sections = [];
  for (const dir of [...packages.keys()].sort()) {
    const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    const licenceFile = readdirSync(path.join(root, dir)).find((name) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(name));
    const text = licenceFile
      ? readFileSync(path.join(root, dir, licenceFile), 'utf8').trim()
      : `(no licence file; package.json says ${manifest.license ?? 'nothing'})`;
    sections.push(`${manifest.name}@${manifest.version} (${manifest.license ?? 'unknown'})\n\n${text}\n`);
  }
  return `Third-party software bundled in this directory\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`;
}

function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, path.join(prefix, name)) : [path.join(prefix, name)];
  });
}

/** Files that differ from the build, are missing, or are left over in a committed directory. */
function staleFiles(target, files) {
  const dir = path.join(root, target.outdir);
  const stale = [];
  for (const [name, contents] of files) {
    const file = path.join(dir, name);
    if (!existsSync(file) || !readFileSync(file).equals(contents)) stale.push(path.join(target.outdir, name));
  }
  for (const name of listFiles(dir)) if (!files.has(name)) stale.push(`${path.join(target.outdir, name)} (left over)`);
  return stale;
}

function writeTarget(target, files) {
  const dir = path.join(root, target.outdir);
  // Each file is written beside its final name and renamed over it, and old files go only at the end,
  // so that a process running the bundle while it is rebuilt (a test, `npm pack`'s prepack) never
  // reads half a file or misses one.
  for (const [name, contents] of files) {
    const file = path.join(dir, name);
    if (existsSync(file) && readFileSync(file).equals(contents)) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, contents);
    renameSync(temp, file);
  }
  // Chunk names carry a content hash: files the build no longer makes would otherwise pile up.
  for (const name of listFiles(dir)) if (!files.has(name)) rmSync(path.join(dir, name));
  removeEmptyDirectories(dir);
}

function removeEmptyDirectories(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (!statSync(full).isDirectory()) continue;
    removeEmptyDirectories(full);
    if (readdirSync(full).length === 0) rmdirSync(full);
  }
}

async function main() {
  if (args.has('--check')) {
    const stale = [];
    for (const target of targets.filter((t) => t.committed)) stale.push(...staleFiles(target, await buildTarget(target)));
    if (stale.length > 0) {
      console.error(`stale bundle file(s): ${stale.join(', ')}; run \`node scripts/bundle.mjs\` and commit the result`);
      process.exit(1);
    }
    return;
  }
  const chosen = args.has('--cli-only') ? targets.filter((t) => t.name === 'cli') : targets;
  for (const target of chosen) writeTarget(target, await buildTarget(target));
}

await main();

#!/usr/bin/env node
// Stages the Azure DevOps extension in dist/extension (or the directory given): every task folder with
// its own copy of the shared bundle, because the agent downloads each task folder on its own.
// `tfx extension create --root dist/extension` packs the result.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist/extension'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(path.join(root, 'tasks/vss-extension.json'), path.join(out, 'vss-extension.json'));
// The task entries are CommonJS (`require`), but the repository's package.json says "type": "module":
// tasks/package.json ("type": "commonjs") must travel with them, beside the tasks and inside each task
// folder (the agent downloads a task folder on its own), or Node loads index.js as ESM wherever an ESM
// package.json is the nearest one up the tree (e.g. dist/extension in this repository).
cpSync(path.join(root, 'tasks/package.json'), path.join(out, 'package.json'));
for (const task of readdirSync(path.join(root, 'tasks')).filter((name) => /V\d+$/.test(name))) {
  const dir = path.join(out, task);
  cpSync(path.join(root, 'tasks', task), dir, { recursive: true });
  cpSync(path.join(root, 'tasks/_bundle'), path.join(dir, '_bundle'), { recursive: true });
  cpSync(path.join(root, 'tasks/package.json'), path.join(dir, 'package.json'));
}
console.log(`staged the extension in ${out}`);

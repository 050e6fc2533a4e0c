/**
 * `npm run bench`: figures for the issue notes, never thresholds. Runs every bench/*.bench.ts in turn.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const only = process.argv[2];
for (const file of readdirSync(dir)
  .filter((name) => name.endsWith('.bench.ts'))
  .sort()) {
  if (only && !file.includes(only)) continue;
  console.log(`\n== ${file}`);
  const module = (await import(path.join(dir, file))) as { run: () => Promise<void> };
  await module.run();
}

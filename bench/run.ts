/**
 * Runs every benchmark in `bench/` (each module exports `run(log)`), in file-name order, or only those whose
 * names are given as arguments: `npm run bench -- client planner`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

interface BenchModule {
  run: (log: (line: string) => void) => Promise<void>;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = readdirSync(__dirname)
    .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
    .map((file) => file.replace(/\.ts$/, ''))
    .filter((name) => wanted.length === 0 || wanted.includes(name))
    .sort();
  if (names.length === 0) throw new Error(`no benchmark matches ${wanted.join(', ')}`);
  for (const name of names) {
    const started = Date.now();
    process.stdout.write(`\n== ${name} ==\n`);
    const bench = (await import(path.join(__dirname, name))) as BenchModule;
    await bench.run((line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`(${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

/**
 * What the code and the README say about settings, functions and Azure SDK use, for the infra checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './bicep';
import { listFiles } from './funcignore';
import { SETTING_NAMES } from '../../../src/app/settings';

/** Source files of the app (src/**.ts), relative to ROOT. */
export function sourceFiles(): string[] {
  const src = path.join(ROOT, 'src');
  if (!fs.existsSync(src)) return [];
  return listFiles(src)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => `src/${file}`);
}

/**
 * Setting names the code reads: `SETTING_NAMES` from src/app/settings.ts (the authoritative list) plus any
 * `process.env.X`, `env.X`, `env['X']` read elsewhere in src, and constants naming a variable
 * (`const LOCAL_KEY_ENV = 'NAME'`, read as `env[LOCAL_KEY_ENV]`).
 */
export async function settingsReadByCode(): Promise<{ declared: string[]; scanned: Map<string, string> }> {
  const declared = [...SETTING_NAMES];
  const scanned = new Map<string, string>();
  const pattern = /\benv(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\])/g;
  const constant = /\b[A-Z][A-Z0-9_]*_ENV\s*=\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]/g;
  for (const file of sourceFiles()) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of [...text.matchAll(pattern), ...text.matchAll(constant)]) {
      const name = match[1] ?? match[2]!;
      if (!scanned.has(name)) scanned.set(name, file);
    }
  }
  return { declared, scanned };
}

/** README.md text, or undefined when it does not exist yet. */
export function readme(): string | undefined {
  const file = path.join(ROOT, 'README.md');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** The body of the first Markdown section whose heading matches `heading` (up to the next heading of the same or a higher level). */
export function markdownSection(markdown: string, heading: RegExp): string | undefined {
  const lines = markdown.split(/\r?\n/);
  let inFence = false;
  let start = -1;
  let level = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!h) continue;
    if (start >= 0 && h[1]!.length <= level) return lines.slice(start, i).join('\n');
    if (start < 0 && heading.test(h[2]!)) {
      start = i + 1;
      level = h[1]!.length;
    }
  }
  return start >= 0 ? lines.slice(start).join('\n') : undefined;
}

/** Backticked identifiers in a Markdown fragment. */
export function backticked(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!));
}

/**
 * Function names the README lists: in its functions section (a heading starting with "Functions"), the
 * first backticked identifier of each table row or bullet, e.g. "| `reconcile` | timer | ..." or
 * "- `status` — GET /api/status".
 */
export function readmeFunctions(markdown: string): string[] {
  const section = markdownSection(markdown, /^functions\b/i);
  if (!section) return [];
  const names: string[] = [];
  for (const line of section.split(/\r?\n/)) {
    const row = /^\s*(?:\||[-*+]\s)\s*`([A-Za-z_][A-Za-z0-9_]*)`/.exec(line);
    if (row && !names.includes(row[1]!)) names.push(row[1]!);
  }
  return names;
}

/** Azure SDK packages imported for their runtime code (type-only imports excluded), with one importing file each. */
export function azurePackagesUsed(): Map<string, string> {
  const used = new Map<string, string>();
  const patterns = [
    /^\s*import\s+(?!type\b)[^;]*?from\s+['"](@azure\/[^'"/]+(?:\/[^'"]+)?)['"]/gm,
    /^\s*import\s+['"](@azure\/[^'"]+)['"]/gm,
    /\bimport\(\s*['"](@azure\/[^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"](@azure\/[^'"]+)['"]\s*\)/g,
  ];
  for (const file of sourceFiles()) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const pkg = match[1]!.split('/').slice(0, 2).join('/');
        if (!used.has(pkg)) used.set(pkg, file);
      }
    }
  }
  return used;
}

/** Files in src that call a given method name (e.g. `setSecret`), for operations needing a stronger role. */
export function filesCalling(method: string): string[] {
  const re = new RegExp(`\\.${method}\\s*\\(`);
  return sourceFiles().filter((file) => re.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
}

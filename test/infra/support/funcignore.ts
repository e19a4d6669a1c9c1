/**
 * `.funcignore` evaluation in the two dialects that read it:
 * - Core Tools (`func azure functionapp publish`): a leading `/` is dropped, every pattern is matched from the
 *   start of the relative path as a prefix, `*` stays within one path segment, `**` spans segments, and a
 *   `!` pattern re-includes.
 * - gitignore (azd and most editors): a pattern without an inner `/` matches a name at any depth, one with a
 *   leading or inner `/` is anchored at the root, a trailing `/` matches directories only, last match wins.
 * The infra checks use both so that what they prove about the package holds for either tool.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Decides whether a relative path (forward slashes, no leading slash) is left out of the package. */
export type IgnoreMatcher = (relativePath: string) => boolean;

function patternLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function escapeRegex(text: string): string {
  return text.replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&');
}

/** Glob → regex source where `**` spans segments and `*` stays inside one. */
function globSource(glob: string): string {
  return escapeRegex(glob)
    .replace(/\*\*/g, '@@ANY@@')
    .replace(/\*/g, '[^/]+')
    .replace(/@@ANY@@/g, '.+');
}

/** Core Tools dialect (prefix match from the root). */
export function coreToolsMatcher(text: string): IgnoreMatcher {
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (let line of patternLines(text)) {
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1);
    if (line.startsWith('/')) line = line.slice(1);
    (negated ? negative : positive).push(new RegExp(`^(${globSource(line)})`));
  }
  return (relativePath) =>
    !negative.some((re) => re.test(relativePath)) && positive.some((re) => re.test(relativePath));
}

/** gitignore dialect (files only: a directory pattern excludes everything beneath it). */
export function gitignoreMatcher(text: string): IgnoreMatcher {
  const rules = patternLines(text).map((raw) => {
    let line = raw;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1);
    const directoryOnly = line.endsWith('/');
    if (directoryOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = escapeRegex(line)
      .replace(/\\\/\*\*\\\//g, '@@MID@@') // "/**/" = zero or more directories
      .replace(/^\*\*\\\//, '@@LEAD@@') // leading "**/" = any depth
      .replace(/\*\*/g, '@@ANY@@')
      .replace(/\*/g, '[^/]*')
      .replace(/\\\?/g, '[^/]')
      .replace(/@@ANY@@/g, '.*')
      .replace(/@@MID@@/g, '/(?:.*/)?')
      .replace(/@@LEAD@@/g, '(?:.*/)?');
    const prefix = anchored ? '^' : '^(?:.*/)?';
    // A matched directory excludes its contents; a file pattern must match a whole path (or a directory).
    const regex = new RegExp(`${prefix}${body}${directoryOnly ? '/' : '(?:/|$)'}`);
    return { negated, regex };
  });
  return (relativePath) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(relativePath)) ignored = !rule.negated;
    return ignored;
  };
}

/** Every file under `root` (relative, forward slashes), skipping the directories named in `skip`. */
export function listFiles(root: string, skip: readonly string[] = ['node_modules', '.git']): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (!skip.includes(rel)) walk(full);
      } else if (entry.isFile()) {
        out.push(rel);
      }
    }
  };
  walk(root);
  return out.sort();
}

/** The files of `root` both dialects keep, and the files at least one keeps (their union). */
export function publishSets(
  root: string,
  funcignoreText: string,
  skip?: readonly string[],
): { both: string[]; either: string[] } {
  const core = coreToolsMatcher(funcignoreText);
  const git = gitignoreMatcher(funcignoreText);
  const files = listFiles(root, skip);
  return {
    both: files.filter((file) => !core(file) && !git(file)),
    either: files.filter((file) => !core(file) || !git(file)),
  };
}

/**
 * Helpers for checking a staged deployment package (scripts/stage-package.ts): what its `main` glob loads,
 * which functions it registers under plain Node, and which npm packages it installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Files that must not ship: tests, local settings, environment files, key material, tooling. */
export const FORBIDDEN_FILES: { name: string; re: RegExp }[] = [
  { name: 'test directory', re: /^(test|tests|__tests__|bench)\// },
  { name: 'test file', re: /\.(test|spec)\.[cm]?[jt]s$/ },
  { name: 'local settings', re: /(^|\/)local\.settings(\.[^/]*)?\.json$/ },
  { name: 'environment file', re: /(^|\/)\.env(\.|$)/ },
  { name: 'key material', re: /\.(pem|pfx|p12|key)$/ },
  { name: 'TypeScript source', re: /^src\/.*\.ts$/ },
  { name: 'coverage report', re: /^coverage\// },
  { name: 'Azurite data', re: /(^|\/)__(azurite_db|blobstorage|queuestorage)/ },
  { name: 'source map', re: /\.map$/ },
];

/** One npm package in a lock file's `packages` map. */
interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

/**
 * The packages npm installed into `<dir>/node_modules`, from npm's own record of them
 * (`node_modules/.package-lock.json`), keyed by install path (`node_modules/@azure/functions`).
 */
export function installedPackages(dir: string): Map<string, LockEntry> {
  const file = path.join(dir, 'node_modules', '.package-lock.json');
  const lock = JSON.parse(fs.readFileSync(file, 'utf8')) as { packages?: Record<string, LockEntry> };
  return new Map(Object.entries(lock.packages ?? {}).filter(([key]) => key.startsWith('node_modules/')));
}

/** Install paths of packages present on disk under `<dir>/node_modules` (one level of scopes, nested too). */
export function packagesOnDisk(dir: string): string[] {
  const found: string[] = [];
  const walk = (modules: string, prefix: string): void => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const names = entry.name.startsWith('@')
        ? fs.readdirSync(path.join(modules, entry.name)).map((n) => `${entry.name}/${n}`)
        : [entry.name];
      for (const name of names) {
        const full = path.join(modules, ...name.split('/'));
        if (!fs.existsSync(path.join(full, 'package.json'))) continue;
        const key = `${prefix}node_modules/${name}`;
        found.push(key);
        walk(path.join(full, 'node_modules'), `${key}/`);
      }
    }
  };
  walk(path.join(dir, 'node_modules'), '');
  return found.sort();
}

/** Expands a package.json `main` glob with `{a,b}` alternatives and `*` within one path segment. */
export function expandMainGlob(root: string, pattern: string): string[] {
  const brace = /\{([^{}]*)\}/.exec(pattern);
  if (brace) {
    return brace[1]!
      .split(',')
      .flatMap((alternative) =>
        expandMainGlob(
          root,
          pattern.slice(0, brace.index) + alternative + pattern.slice(brace.index + brace[0].length),
        ),
      );
  }
  let paths = [''];
  for (const segment of pattern.split('/')) {
    const next: string[] = [];
    for (const base of paths) {
      if (!segment.includes('*')) {
        next.push(base ? `${base}/${segment}` : segment);
        continue;
      }
      const full = path.join(root, base);
      if (!fs.existsSync(full) || !fs.statSync(full).isDirectory()) continue;
      const re = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      for (const name of fs.readdirSync(full).sort())
        if (re.test(name)) next.push(base ? `${base}/${name}` : name);
    }
    paths = next;
  }
  return paths.filter((p) => fs.existsSync(path.join(root, p)) && fs.statSync(path.join(root, p)).isFile());
}

/** A function as the Functions host would see it: name and bindings (trigger options included). */
export interface Registration {
  name: string;
  bindings: Record<string, Record<string, unknown>>;
}

/** What loading the package produced. */
export interface LoadResult {
  status: number | null;
  stderr: string;
  registrations: Registration[];
  /** Names from the library's test-mode warnings (plain Node, no stand-in runtime). */
  testModeNames: string[];
}

const MARKER = '@@REGISTRATIONS@@';

/**
 * Preload for the child process: stands in for `@azure/functions-core` (which only the Functions worker
 * supplies) and records what `app.http/timer/storageQueue/...` register, including the trigger options.
 */
const STAND_IN_RUNTIME = `
const Module = require('node:module');
const registrations = [];
const runtime = {
  setProgrammingModel() {},
  registerFunction(metadata) { registrations.push(JSON.parse(JSON.stringify(metadata))); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  log() {},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? runtime : load.call(this, request, ...rest);
};
process.on('exit', () => process.stdout.write('\\n${MARKER}' + JSON.stringify(registrations) + '\\n'));
`;

const LOADER = `
const path = require('node:path');
for (const file of JSON.parse(process.env.PACKAGE_ENTRY_FILES)) require(path.resolve(file));
`;

function runNode(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

/**
 * Loads every file the `main` glob matches in `dir` twice under plain Node with `settings` as the
 * environment: once with the stand-in runtime (to read the registrations) and once in the library's test mode.
 */
export function loadPackage(dir: string, entryFiles: string[], settings: Record<string, string>): LoadResult {
  const support = fs.mkdtempSync(path.join(os.tmpdir(), 'fortiflex-scaler-loader-'));
  try {
    fs.writeFileSync(path.join(support, 'runtime.js'), STAND_IN_RUNTIME);
    fs.writeFileSync(path.join(support, 'loader.js'), LOADER);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      ...settings,
      PACKAGE_ENTRY_FILES: JSON.stringify(entryFiles),
    };
    const withRuntime = runNode(
      dir,
      ['-r', path.join(support, 'runtime.js'), path.join(support, 'loader.js')],
      env,
    );
    const line = withRuntime.stdout.split('\n').find((l) => l.startsWith(MARKER));
    const registrations = line ? (JSON.parse(line.slice(MARKER.length)) as Registration[]) : [];
    const plain = runNode(dir, [path.join(support, 'loader.js')], env);
    const testModeNames = [
      ...`${plain.stdout}\n${plain.stderr}`.matchAll(/Skipping call to register function "([^"]+)"/g),
    ].map((m) => m[1]!);
    return {
      status: withRuntime.status === 0 ? plain.status : withRuntime.status,
      stderr: `${withRuntime.stderr}\n${plain.stderr}`.trim(),
      registrations,
      testModeNames,
    };
  } finally {
    fs.rmSync(support, { recursive: true, force: true });
  }
}

/** The trigger binding of a registration (the one binding whose type ends in "Trigger"). */
export function triggerOf(registration: Registration): Record<string, unknown> | undefined {
  return Object.values(registration.bindings).find(
    (b) => typeof b.type === 'string' && b.type.endsWith('Trigger'),
  );
}

/**
 * True when an HTTP route template (ASP.NET style: `{name}`, `{name?}`, `{name:constraint}`) matches a
 * concrete route such as `pools/p1/claims/i-1`.
 */
export function routeMatches(template: string, route: string): boolean {
  const parts = template.replace(/^\/+|\/+$/g, '').split('/');
  const values = route.replace(/^\/+|\/+$/g, '').split('/');
  let i = 0;
  for (const part of parts) {
    const param = /^\{\*?([A-Za-z_]\w*)(?::[^}?]*)?(\?)?\}$/.exec(part);
    if (param) {
      if (i < values.length && values[i] !== '') i += 1;
      else if (!param[2]) return false;
      continue;
    }
    if (values[i]?.toLowerCase() !== part.toLowerCase()) return false;
    i += 1;
  }
  return i === values.length;
}

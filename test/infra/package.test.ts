import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { NOT_DEPLOYED, stagePackage, type StageResult } from '../../scripts/stage-package';
import { ROOT, appSettingKeys, bicepFiles } from './support/bicep';
import { coreToolsMatcher, gitignoreMatcher, listFiles } from './support/funcignore';
import {
  type LoadResult,
  FORBIDDEN_FILES,
  expandMainGlob,
  installedPackages,
  loadPackage,
  packagesOnDisk,
  routeMatches,
  triggerOf,
} from './support/package';
import { readme, readmeFunctions, sourceFiles } from './support/project';

/** The endpoints and triggers the README and docs/deploy.md promise (route prefix `api/`). */
const HTTP_ENDPOINTS: { method: string; route: string; what: string }[] = [
  { method: 'GET', route: 'status', what: 'status' },
  { method: 'POST', route: 'run', what: 'run now' },
  { method: 'POST', route: 'scale/vmss-fgt', what: 'scale webhook' },
  { method: 'POST', route: 'pools/vmss-fgt/claims', what: 'license claim' },
  { method: 'DELETE', route: 'pools/vmss-fgt/claims/instance-1', what: 'license release' },
];

/** Patterns that must never appear in the package: credentials and key material. */
const SECRET_PATTERNS: { name: string; re: RegExp }[] = [
  {
    name: 'storage account key',
    re: /AccountKey=(?!Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq\/K1SZFPTOtr\/KBHBeksoGMGw==)[A-Za-z0-9+/]{20,}={0,2}/,
  },
  { name: 'SAS signature', re: /[?&;]sig=[A-Za-z0-9%+/]{20,}/ },
  { name: 'private key', re: /-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----/ },
  { name: 'client secret', re: /client_secret\s*[=:]\s*["']?[A-Za-z0-9~._-]{16,}/i },
  { name: 'password in a connection string', re: /\bpassword=(?!["'`$<{])[^\s;&"'`]{4,}/i },
  { name: 'instrumentation key', re: /InstrumentationKey=[0-9a-f]{8}-[0-9a-f]{4}-/i },
  { name: 'GitHub token', re: /\bgh[pousr]_[A-Za-z0-9]{30,}/ },
];

/** Settings local runs use, as the host would provide them (no network is touched at load time). */
function sampleSettings(): Record<string, string> {
  const sample = JSON.parse(fs.readFileSync(path.join(ROOT, 'local.settings.sample.json'), 'utf8')) as {
    Values?: Record<string, string>;
  };
  return { ...sample.Values, AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
}

/** Root package.json. */
const manifest = (): { main: string; devDependencies?: Record<string, string> } =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    devDependencies?: Record<string, string>;
  };

/** `app.http(...)`, `app.timer(...)`, … calls in src/functions: the functions the package must register. */
function registrationCalls(): number {
  return sourceFiles()
    .filter((file) => file.startsWith('src/functions/'))
    .map((file) => fs.readFileSync(path.join(ROOT, file), 'utf8'))
    .reduce((count, text) => count + [...text.matchAll(/^app\.(\w+)\(\s*'/gm)].length, 0);
}

describe('the staged deployment package (scripts/stage-package.ts)', () => {
  let work: string;
  let staged: StageResult;
  let files: string[];
  let entryFiles: string[];
  let loaded: LoadResult;
  const io = bufferIo();

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'fortiflex-scaler-stage-'));
    // The repository ships only the example; a deployment stages the operator's policy the same way.
    staged = await stagePackage({
      out: path.join(work, 'api'),
      policy: 'scaler.policy.example.yaml',
      policyPath: 'scaler.policy.yaml',
      io,
    });
    files = listFiles(staged.dir, ['node_modules']);
    entryFiles = expandMainGlob(staged.dir, manifest().main);
    loaded = loadPackage(staged.dir, entryFiles, sampleSettings());
  }, 300_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('holds exactly the compiled app, host.json, package*.json, the policy and node_modules', () => {
    expect(fs.readdirSync(staged.dir).sort()).toEqual(
      [
        '.funcignore',
        'dist',
        'host.json',
        'node_modules',
        'package-lock.json',
        'package.json',
        'scaler.policy.yaml',
      ].sort(),
    );
    expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual(
      ['.funcignore', 'host.json', 'package-lock.json', 'package.json', 'scaler.policy.yaml'].sort(),
    );
    expect(files).toContain('dist/src/index.js');
    // The command line, the simulators and dev helpers never run in Azure (loading below proves the app
    // does not need them).
    for (const folder of NOT_DEPLOYED)
      expect(
        files.some((f) => f.startsWith(`dist/src/${folder}/`)),
        folder,
      ).toBe(false);
    expect(entryFiles.length).toBeGreaterThan(1);
    expect(entryFiles.every((file) => files.includes(file))).toBe(true);
    expect(io.out).toMatch(/^policy scaler\.policy\.yaml: \d+ rule\(s\)/m);
  });

  it('ships the policy it validated, byte for byte', () => {
    expect(fs.readFileSync(path.join(staged.dir, 'scaler.policy.yaml'), 'utf8')).toBe(
      fs.readFileSync(path.join(ROOT, 'scaler.policy.example.yaml'), 'utf8'),
    );
  });

  it('leaves nothing out when azd or Core Tools zip it (its .funcignore ignores nothing)', () => {
    const text = fs.readFileSync(path.join(staged.dir, '.funcignore'), 'utf8');
    const core = coreToolsMatcher(text);
    const git = gitignoreMatcher(text);
    const everything = [...files, 'node_modules/@azure/functions/package.json'];
    expect(everything.filter((f) => core(f) || git(f))).toEqual([]);
  });

  it('installs production dependencies only: no devDependency, no package the lock file marks dev', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const onDisk = packagesOnDisk(staged.dir);
    expect(onDisk.length).toBeGreaterThan(10);
    expect(onDisk).toContain('node_modules/@azure/functions');
    const devOnly = onDisk.filter((key) => lock.packages[key]?.dev === true);
    expect(devOnly, 'dev-only packages in the staged node_modules').toEqual([]);
    expect(
      onDisk.filter((key) => lock.packages[key] === undefined),
      'not in package-lock.json',
    ).toEqual([]);
    // A devDependency may appear only as a transitive dependency of a production one (the lock says so).
    const dev = Object.keys(manifest().devDependencies ?? {});
    expect(dev).toEqual(expect.arrayContaining(['typescript', 'vitest', 'azurite']));
    const shipped = dev.filter((name) => onDisk.includes(`node_modules/${name}`));
    expect(shipped.filter((name) => lock.packages[`node_modules/${name}`]?.dev === true)).toEqual([]);
    for (const heavy of ['typescript', 'vitest', 'azurite', 'eslint', 'tree-sitter-bicep', 'tsx'])
      expect(onDisk, heavy).not.toContain(`node_modules/${heavy}`);
    // npm's own record agrees with the disk.
    expect([...installedPackages(staged.dir).keys()].sort()).toEqual(onDisk);
  });

  it('ships no tests, local settings, sources, maps or key material', () => {
    const offenders = files.flatMap((file) =>
      FORBIDDEN_FILES.filter((rule) => rule.re.test(file)).map((rule) => `${file} (${rule.name})`),
    );
    expect(offenders).toEqual([]);
  });

  it('ships no secrets', () => {
    const offenders: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(staged.dir, file), 'utf8');
      for (const rule of SECRET_PATTERNS) if (rule.re.test(text)) offenders.push(`${file}: ${rule.name}`);
    }
    expect(offenders).toEqual([]);
  });

  it('loads under plain Node without errors', () => {
    expect(loaded.status, loaded.stderr.split('\n').slice(-15).join('\n')).toBe(0);
  });

  it('registers every function src/functions declares, with its own @azure/functions', () => {
    const names = loaded.registrations.map((r) => r.name).sort();
    expect(names.length).toBe(registrationCalls());
    expect(new Set(names).size).toBe(names.length);
    expect([...loaded.testModeNames].sort()).toEqual(names);
    // Loaded from the package, not from the repository's node_modules.
    expect(fs.existsSync(path.join(staged.dir, 'node_modules', '@azure', 'functions', 'package.json'))).toBe(
      true,
    );
  });

  it('registers every function the README lists', () => {
    const text = readme();
    expect(text, 'README.md is missing').toBeDefined();
    const listed = readmeFunctions(text!);
    expect(
      listed,
      'README.md needs a section whose heading starts with "Functions", one `name` per table row or bullet',
    ).not.toEqual([]);
    const registered = new Set(loaded.registrations.map((r) => r.name));
    expect(listed.filter((name) => !registered.has(name))).toEqual([]);
  });

  it('registers every function docs/deploy.md lists', () => {
    const listed = readmeFunctions(fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8'));
    expect(listed.length).toBeGreaterThan(0);
    const registered = new Set(loaded.registrations.map((r) => r.name));
    expect(listed.filter((name) => !registered.has(name))).toEqual([]);
  });

  it.each(HTTP_ENDPOINTS)('serves $method /api/$route ($what) behind a function key', ({ method, route }) => {
    const serving = loaded.registrations.filter((r) => {
      const trigger = triggerOf(r);
      if (trigger?.type !== 'httpTrigger') return false;
      const methods = ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) =>
        m.toUpperCase(),
      );
      return methods.includes(method) && routeMatches((trigger.route as string | undefined) ?? r.name, route);
    });
    expect(
      serving.map((r) => r.name),
      `no function serves ${method} /api/${route}`,
    ).toHaveLength(1);
    // The v4 default is anonymous; docs/deploy.md hands out function keys for every endpoint.
    expect(triggerOf(serving[0]!)!.authLevel).toBe('function');
  });

  it('runs reconcile on a timer whose schedule comes from a deployed app setting', () => {
    const timers = loaded.registrations.filter((r) => triggerOf(r)?.type === 'timerTrigger');
    expect(timers.map((t) => t.name)).toContain('reconcile');
    const deployed = appSettingKeys(
      bicepFiles()
        .map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
        .join('\n'),
    );
    for (const timer of timers) {
      const schedule = String(triggerOf(timer)!.schedule);
      const setting = /^%([^%]+)%$/.exec(schedule)?.[1];
      if (setting) expect(deployed.has(setting), `${timer.name}: ${setting} is not deployed`).toBe(true);
      else expect(schedule.trim().split(/\s+/)).toHaveLength(6);
      expect(triggerOf(timer)!.runOnStartup ?? false).toBe(false);
    }
  });

  it('works the scaler-work queue over the identity-based AzureWebJobsStorage connection', () => {
    const queues = loaded.registrations.filter((r) => triggerOf(r)?.type === 'queueTrigger');
    expect(queues.map((q) => triggerOf(q)!.queueName)).toContain('scaler-work');
    const deployed = appSettingKeys(
      bicepFiles()
        .map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
        .join('\n'),
    );
    for (const queue of queues) {
      const connection = String(triggerOf(queue)!.connection ?? 'AzureWebJobsStorage');
      expect(
        deployed.has(`${connection}__queueServiceUri`),
        `${queue.name}: ${connection}__queueServiceUri`,
      ).toBe(true);
    }
  });
});

describe('package helpers (controls)', () => {
  it('matches route templates like the Functions host', () => {
    expect(routeMatches('pools/{pool}/claims/{instanceId?}', 'pools/p/claims')).toBe(true);
    expect(routeMatches('pools/{pool}/claims/{instanceId?}', 'pools/p/claims/i-1')).toBe(true);
    expect(routeMatches('pools/{pool}/claims', 'pools/p/claims/i-1')).toBe(false);
    expect(routeMatches('scale/{pool:alpha}', 'scale/x')).toBe(true);
    expect(routeMatches('status', 'run')).toBe(false);
  });

  it('expands the package.json main glob', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache-infra-glob-'));
    try {
      for (const file of [
        'dist/src/index.js',
        'dist/src/functions/a.js',
        'dist/src/functions/b.js',
        'dist/src/functions/c.js.map',
        'dist/src/other.js',
      ]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), '');
      }
      expect(expandMainGlob(dir, 'dist/src/{index.js,functions/*.js}')).toEqual([
        'dist/src/index.js',
        'dist/src/functions/a.js',
        'dist/src/functions/b.js',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags secrets and forbidden files', () => {
    const hit = (text: string): string[] => SECRET_PATTERNS.filter((r) => r.re.test(text)).map((r) => r.name);
    expect(
      hit(
        'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abcdefghijklmnopqrstuvwxyz0123456789ABCD==',
      ),
    ).toEqual(['storage account key']);
    expect(hit('Server=x;User Id=u;Password=hunter22;')).toEqual(['password in a connection string']);
    expect(hit('const key = "-----BEGIN PRIVATE KEY-----"')).toEqual(['private key']);
    // The public Azurite development key and code that merely names a password are not secrets.
    expect(
      hit(
        'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      ),
    ).toEqual([]);
    expect(
      hit('const password = env.FORTIFLEX_ACCESS_PASSWORD; url + `password=${encodeURIComponent(p)}`'),
    ).toEqual([]);
    const forbidden = (file: string): boolean => FORBIDDEN_FILES.some((r) => r.re.test(file));
    expect(
      ['test/a.ts', 'dist/src/x.test.js', 'local.settings.json', '.env', 'dist/src/a.js.map'].every(
        forbidden,
      ),
    ).toBe(true);
    expect(['dist/src/index.js', 'host.json', 'package.json'].some(forbidden)).toBe(false);
  });
});

describe('.funcignore dialects', () => {
  const text = '/src/\n/test/\n*.map\n/local.settings.json\n/dist/**/*.d.ts\n!/keep.map\n';

  it('Core Tools: anchored prefixes, one-segment stars, negation', () => {
    const ignored = coreToolsMatcher(text);
    expect(ignored('src/index.ts')).toBe(true);
    expect(ignored('node_modules/pkg/src/index.js')).toBe(false);
    expect(ignored('root.js.map')).toBe(true);
    expect(ignored('dist/src/a.js.map')).toBe(false); // "*" does not cross "/" in this dialect
    expect(ignored('dist/src/a.d.ts')).toBe(true);
    expect(ignored('keep.map')).toBe(false);
    expect(ignored('dist/src/index.js')).toBe(false);
  });

  it('gitignore: unanchored names match at any depth, anchored ones at the root', () => {
    const ignored = gitignoreMatcher(text);
    expect(ignored('src/index.ts')).toBe(true);
    expect(ignored('node_modules/pkg/src/index.js')).toBe(false);
    expect(ignored('dist/src/a.js.map')).toBe(true);
    expect(ignored('dist/src/a.d.ts')).toBe(true);
    expect(ignored('keep.map')).toBe(false);
    expect(ignored('local.settings.json')).toBe(true);
    expect(ignored('dist/src/index.js')).toBe(false);
  });
});

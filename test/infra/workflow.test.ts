/**
 * The documented paths agree with what they run: azure.yaml packages the stage through the prepackage
 * hook, the workflow validates before it deploys, pins an azd that honours `remoteBuild: false`, retries the
 * first deployment and needs no subscription-level read in deploy-only mode, and the guides say so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_OUT } from '../../scripts/stage-package';
import { TELEMETRY_FIELDS } from '../../src/lib/telemetry';
import { ROOT } from './support/bicep';
import { backticked, markdownSection } from './support/project';

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The first azd release that honours `remoteBuild: false` for Flex Consumption (azure-dev #6748). */
const AZD_MINIMUM = '1.23.5';

const semver = (v: string): number[] => v.split('.').map(Number);
const atLeast = (version: string, minimum: string): boolean => {
  const [a, b] = [semver(version), semver(minimum)];
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
};

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
const workflow = () =>
  parseYaml(read('.github/workflows/deploy.yml')) as {
    env?: Record<string, string>;
    jobs: Record<string, { steps: Step[]; env?: Record<string, string> }>;
  };

describe('azure.yaml packages the staged folder', () => {
  const service = () =>
    (
      parseYaml(read('azure.yaml')) as {
        services: {
          api: {
            dist?: string;
            remoteBuild?: boolean;
            hooks?: Record<string, { run?: string; shell?: string; windows?: { run?: string } }>;
          };
        };
      }
    ).services.api;

  it('points dist at the stage and builds locally', () => {
    expect(service().dist).toBe(DEFAULT_OUT.split(path.sep).join('/'));
    expect(service().remoteBuild).toBe(false);
  });

  it('stages in the prepackage hook on every OS, through the npm script that runs the staging script', () => {
    const hook = service().hooks?.prepackage;
    expect(hook?.run).toBe('npm run stage');
    expect(hook?.shell).toBe('sh');
    expect(hook?.windows?.run).toBe('npm run stage');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.stage).toBe('tsx scripts/stage-package.ts');
  });

  it('keeps the stage out of git, lint and formatting', () => {
    expect(read('.gitignore')).toMatch(/^\.deploy\/$/m);
    expect(read('eslint.config.mjs')).toContain("'.deploy/'");
    expect(read('.prettierignore')).toMatch(/^\.deploy$/m);
  });
});

describe('deploy workflow', () => {
  const deploy = () => workflow().jobs.deploy!.steps;
  const index = (predicate: (s: Step) => boolean): number => deploy().findIndex(predicate);

  it('validates the policy before it signs in, and in pull requests when one is committed', () => {
    const validate = index((s) =>
      /fortiflex-scaler validate --policy "\$SCALER_POLICY_PATH"/.test(s.run ?? ''),
    );
    const login = index((s) => s.uses?.startsWith('azure/login@') === true);
    expect(validate).toBeGreaterThan(-1);
    expect(validate).toBeLessThan(login);
    expect(workflow().env?.SCALER_POLICY_PATH).toMatch(
      /vars\.SCALER_POLICY_PATH \|\| 'scaler\.policy\.yaml'/,
    );
    const pr = workflow().jobs.test!.steps.find((s) => /fortiflex-scaler validate/.test(s.run ?? ''));
    expect(pr?.run).toMatch(/if \[ -f "\$SCALER_POLICY_PATH" \]/);
  });

  it(`pins azd at ${AZD_MINIMUM} or later, and the guide states that minimum`, () => {
    const setup = deploy().find((s) => s.uses?.startsWith('Azure/setup-azd@'));
    const version = setup?.with?.version ?? '';
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(atLeast(version, AZD_MINIMUM)).toBe(true);
    expect(read('docs/deploy.md')).toContain(`**${AZD_MINIMUM} or later**`);
    expect(read('azure.yaml')).toContain(`azd ${AZD_MINIMUM} or later`);
    expect(atLeast('1.23.4', AZD_MINIMUM)).toBe(false);
  });

  it('packages once and retries the deployment of that package', () => {
    const pack = index((s) => /azd package api --output-path "\$RUNNER_TEMP\/api\.zip"/.test(s.run ?? ''));
    const retry = index((s) => /for attempt in/.test(s.run ?? ''));
    expect(pack).toBeGreaterThan(-1);
    expect(retry).toBeGreaterThan(pack);
    const run = deploy()[retry]!.run!;
    expect(run).toMatch(/azd deploy api --from-package "\$RUNNER_TEMP\/api\.zip"/);
    expect(run).toMatch(/sleep/);
    expect(run).toMatch(/exit 1\s*$/);
  });

  it('needs no subscription-level read in deploy-only mode', () => {
    const text = read('.github/workflows/deploy.yml');
    expect(text).not.toMatch(/azd env refresh/);
    const point = deploy().find((s) => /azd env set AZURE_RESOURCE_GROUP/.test(s.run ?? ''));
    expect(point?.if).toBe("vars.AZD_PROVISION != 'true'");
    const provision = deploy().find((s) => /azd provision/.test(s.run ?? ''));
    expect(provision?.if).toBe("vars.AZD_PROVISION == 'true'");
  });

  it('carries only parameters main.parameters.json maps, and the guide documents each', () => {
    const mapped = new Set(
      [...read('infra/main.parameters.json').matchAll(/\$\{([A-Z_]+)(?:=[^}]*)?\}/g)].map((m) => m[1]!),
    );
    const carried = deploy()
      .flatMap((s) => [...(s.run ?? '').matchAll(/azd env set ([A-Z_]+)/g)].map((m) => m[1]!))
      .filter((name) => name !== 'AZURE_RESOURCE_GROUP');
    expect(carried.length).toBeGreaterThan(5);
    expect(carried.filter((name) => !mapped.has(name))).toEqual([]);
    const documented = backticked(read('docs/deploy.md'));
    const undocumented = [...mapped].filter(
      (name) => !['AZURE_ENV_NAME', 'AZURE_LOCATION'].includes(name) && !documented.has(name),
    );
    expect(undocumented).toEqual([]);
  });
});

describe('the guides', () => {
  const deployGuide = () => read('docs/deploy.md');

  it('publishes the stage with Core Tools with --typescript and without a remote build', () => {
    const option = markdownSection(deployGuide(), /^Option B/)!;
    expect(option).toMatch(/npm run stage/);
    expect(option).toMatch(/func azure functionapp publish "\$APP" --typescript --no-build/);
    expect(option).toMatch(/cd \.deploy\/api/);
  });

  it('documents the least roles of each workflow mode, and the retry', () => {
    const section = markdownSection(deployGuide(), /^Deploy from GitHub Actions/)!;
    expect(section).toMatch(
      /deploy-only[\s\S]*\*\*Reader\*\* and \*\*Website Contributor\*\* on the resource group/,
    );
    expect(section).toMatch(
      /\*\*Contributor\*\* at \*\*subscription\*\* scope[\s\S]*\*\*Role Based Access Control Administrator\*\* at subscription scope/,
    );
    expect(section).toMatch(/retried/);
    expect(deployGuide()).toMatch(/role assignments propagate/);
  });

  it('operations guide: status, audit role and parameter, telemetry, every alert, policy changes, STOPPED, teardown', () => {
    const ops = read('docs/operations.md');
    for (const heading of [
      /^Status$/,
      /^Audit$/,
      /^Telemetry$/,
      /^When an alert fires$/,
      /^Changing the policy$/,
      /STOPPED/,
      /^Teardown$/,
    ])
      expect(markdownSection(ops, heading), String(heading)).toBeDefined();
    expect(markdownSection(ops, /^Status$/)).toMatch(/x-functions-key/);
    const audit = markdownSection(ops, /^Audit$/)!;
    expect(audit).toMatch(/Storage Table Data Reader/);
    expect(audit).toMatch(/`auditReaderPrincipalId`/);
    expect(audit).toMatch(/AzureWebJobsStorage__accountName/);
    const alerts = markdownSection(ops, /^When an alert fires$/)!;
    const names = [
      ...read('infra/modules/monitoring.bicep').matchAll(/displayName: '(FortiFlex scaler: [^']+)'/g),
    ].map((m) => m[1]!);
    expect(names).toHaveLength(4);
    for (const name of names) expect(alerts).toContain(`**${name}**`);
    expect(markdownSection(ops, /STOPPED/)).toMatch(/pairing|Pairing/);
  });

  it('operations guide lists every telemetry event with exactly its fields', () => {
    const section = markdownSection(read('docs/operations.md'), /^Telemetry$/)!;
    for (const [event, fields] of Object.entries(TELEMETRY_FIELDS)) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${event}\``));
      expect(row, event).toBeDefined();
      const documented = [...backticked(row!.split('|')[3]!.replace(/\([^)]*\)/g, ''))].filter((name) =>
        /^[a-z]/.test(name),
      );
      expect(documented.sort(), event).toEqual([...fields].sort());
    }
  });

  it('host.json keeps traces out of sampling, so the alerts see every line', () => {
    const host = JSON.parse(read('host.json')) as {
      logging: { applicationInsights: { samplingSettings: { excludedTypes: string } } };
    };
    expect(host.logging.applicationInsights.samplingSettings.excludedTypes.split(';')).toEqual(
      expect.arrayContaining(['Request', 'Trace']),
    );
  });
});

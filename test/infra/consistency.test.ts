import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ROOT,
  appSettingKeys,
  bicepFiles,
  outputs,
  registryModules,
  roleGuids,
  secureParams,
  stripComments,
} from './support/bicep';
import {
  azurePackagesUsed,
  backticked,
  filesCalling,
  markdownSection,
  readme,
  readmeFunctions,
  settingsReadByCode,
  sourceFiles,
} from './support/project';

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
const allBicep = (): string => bicepFiles().map(read).join('\n');
/** App settings the templates deploy (main.bicep and the modules it wires). */
const deployedSettings = (): Set<string> => appSettingKeys(allBicep());

/** `AzureWebJobsStorage__blobServiceUri` belongs to the `AzureWebJobsStorage` family (Functions connection prefix). */
const family = (name: string): string => name.split('__')[0]!;

/** Built-in role definition IDs this app may hold, and why. */
const ROLES = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  // Operator only (optional auditReaderPrincipalId): `fortiflex-scaler audit` with shared keys off.
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
} as const;

/** Azure SDK package → the roles (any one of) that cover what the code does with it. */
const DATA_PLANE_ROLES: Record<string, string[]> = {
  '@azure/data-tables': [ROLES.storageTableDataContributor],
  '@azure/storage-blob': [ROLES.storageBlobDataOwner, ROLES.storageBlobDataContributor],
  '@azure/storage-queue': [ROLES.storageQueueDataContributor],
  '@azure/keyvault-secrets': [ROLES.keyVaultSecretsUser],
  '@azure/arm-compute': [ROLES.reader],
  // Scale-set NIC reads (private IPs of instances); Reader on the scale set covers its NICs.
  '@azure/arm-network': [ROLES.reader],
};

/** Azure packages that perform no data-plane operation needing a role. */
const NO_ROLE_PACKAGES = [
  '@azure/functions',
  '@azure/functions-core',
  '@azure/identity',
  '@azure/logger',
  '@azure/abort-controller',
  '@azure/monitor-opentelemetry',
  '@azure/functions-opentelemetry-instrumentation',
];
const isNoRolePackage = (pkg: string): boolean =>
  NO_ROLE_PACKAGES.includes(pkg) || pkg.startsWith('@azure/core-');

/** Settings the platform provides itself (never deployed by the templates). */
const PLATFORM_SETTINGS = new Set([
  'WEBSITE_HOSTNAME',
  'WEBSITE_SITE_NAME',
  'WEBSITE_INSTANCE_ID',
  'WEBSITE_OWNER_NAME',
  'FUNCTIONS_WORKER_RUNTIME',
  'AZURE_FUNCTIONS_ENVIRONMENT',
  'CONTAINER_NAME',
  'HOME',
  'NODE_ENV',
  // Managed identity endpoint the platform injects (App Service / Functions).
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'MSI_ENDPOINT',
  'MSI_SECRET',
]);

/** Settings Flex Consumption rejects or ignores (functions-app-settings, Flex deprecations). */
const FLEX_FORBIDDEN = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_TIME_ZONE',
  'TZ',
];

describe('settings: code, templates, README and local.settings.sample.json agree', () => {
  it('every setting the code reads is deployed by the templates or listed in the README configuration section', async () => {
    const { declared, scanned } = await settingsReadByCode();
    const names = [...new Set([...declared, ...scanned.keys()])].filter((n) => !PLATFORM_SETTINGS.has(n));
    expect(
      names.length,
      'no settings found: src/app/settings.ts should export SETTING_NAMES',
    ).toBeGreaterThan(0);
    const deployedFamilies = new Set([...deployedSettings()].map(family));
    const notDeployed = names.filter((name) => !deployedFamilies.has(family(name)));
    const text = readme();
    const section = text && markdownSection(text, /configuration|settings/i);
    const documented = section ? backticked(section) : new Set<string>();
    const missing = notDeployed.filter((name) => !documented.has(name));
    expect(
      missing,
      `not deployed by infra/*.bicep and not listed (as \`NAME\`) in the README configuration section` +
        (text ? '' : ' (README.md does not exist yet)') +
        `: ${missing.map((n) => `${n}${scanned.has(n) ? ` (read in ${scanned.get(n)})` : ''}`).join(', ')}`,
    ).toEqual([]);
  });

  it('local.settings.sample.json lists every setting the code reads', async () => {
    const { declared, scanned } = await settingsReadByCode();
    const names = [...new Set([...declared, ...scanned.keys()])].filter((n) => !PLATFORM_SETTINGS.has(n));
    const sample = JSON.parse(read('local.settings.sample.json')) as { Values?: Record<string, string> };
    const listed = new Set(Object.keys(sample.Values ?? {}).map(family));
    const missing = names.filter((name) => !listed.has(family(name)));
    expect(missing, `add to local.settings.sample.json Values: ${missing.join(', ')}`).toEqual([]);
  });

  it('deploys the documented settings, identity-based storage and identity-based telemetry', () => {
    const deployed = deployedSettings();
    for (const name of [
      'FORTIFLEX_API_URL',
      'FORTIFLEX_AUTH_URL',
      'KEY_VAULT_URL',
      'FORTIFLEX_USERNAME_SECRET',
      'FORTIFLEX_PASSWORD_SECRET',
      'SCALER_POLICY_PATH',
      'SCALER_DRY_RUN',
      'SCALER_SCHEDULE',
      'WEBHOOK_HMAC_SECRET',
      'AZURE_CLIENT_ID',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]) {
      expect(deployed.has(name), `${name} is not set by infra/*.bicep`).toBe(true);
    }
    // A connection string would need shared keys, which the storage account turns off.
    expect(deployed.has('AzureWebJobsStorage')).toBe(false);
    expect(allBicep()).toMatch(/AzureWebJobsStorage__credential:\s*'managedidentity'/);
    expect(allBicep()).toMatch(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING:\s*'ClientId=\$\{[^}]+\};Authorization=AAD'/,
    );
  });

  it('emits no setting that Flex Consumption rejects or ignores', () => {
    const deployed = deployedSettings();
    const forbidden = FLEX_FORBIDDEN.filter((name) => deployed.has(name));
    expect(forbidden).toEqual([]);
  });

  it('detects settings in Bicep object literals (control)', () => {
    const keys = appSettingKeys(
      "var s = {\n  FOO_BAR: 'x'\n  AzureWebJobsStorage__clientId: id // FUNCTIONS_WORKER_RUNTIME: 'node'\n  name: 'y'\n}",
    );
    expect([...keys].sort()).toEqual(['AzureWebJobsStorage__clientId', 'FOO_BAR']);
  });
});

describe('resources: Flex Consumption, no keys, RBAC-only vault', () => {
  const main = (): string => stripComments(read('infra/main.bicep'));
  const api = (): string => stripComments(read('infra/modules/api.bicep'));

  it('creates the resource group at subscription scope with azd tags', () => {
    expect(main()).toMatch(/^targetScope\s*=\s*'subscription'/m);
    expect(main()).toMatch(/'azd-env-name':\s*environmentName/);
    expect(api()).toMatch(/'azd-service-name':\s*'api'/);
  });

  it('runs a Linux Flex Consumption app on Node 22 from a blob container reached with the user-assigned identity', () => {
    expect(main()).toMatch(/name:\s*'FC1'[\s\S]*?tier:\s*'FlexConsumption'/);
    expect(api()).toMatch(/kind:\s*'functionapp,linux'/);
    expect(api()).toMatch(/runtime:\s*\{\s*name:\s*'node'\s*version:\s*'22'\s*\}/);
    expect(api()).toMatch(/type:\s*'blobContainer'/);
    expect(api()).toMatch(/type:\s*'UserAssignedIdentity'/);
    expect(api()).toMatch(/param instanceMemoryMB int = 2048/);
    expect(api()).toMatch(/maximumInstanceCount:\s*maximumInstanceCount/);
  });

  it('turns off shared keys, instrumentation-key ingestion and vault access policies', () => {
    expect(main()).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(main()).toMatch(/allowBlobPublicAccess:\s*false/);
    expect(main()).toMatch(/disableLocalAuth:\s*true/);
    expect(main()).toMatch(/enableRbacAuthorization:\s*true/);
  });

  it('pins every registry module to a version', () => {
    const modules = registryModules(allBicep());
    expect(modules.length).toBeGreaterThan(0);
    for (const ref of modules)
      expect(ref, ref).toMatch(/^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-/]+:\d+\.\d+\.\d+$/);
  });

  it('never outputs a secure parameter and gives none a default value', () => {
    for (const file of bicepFiles()) {
      const source = read(file);
      for (const name of secureParams(source)) {
        for (const out of outputs(source)) {
          expect(
            new RegExp(`\\b${name}\\b`).test(out.expression),
            `${file}: output ${out.name} uses @secure ${name}`,
          ).toBe(false);
        }
        expect(stripComments(source)).not.toMatch(new RegExp(`param\\s+${name}\\s+string\\s*=\\s*'[^']+'`));
      }
    }
  });

  it('detects a secure parameter in an output (control)', () => {
    const source = '@secure()\nparam secretValue string\noutput leaked string = secretValue\n';
    expect(secureParams(source)).toEqual(['secretValue']);
    expect(outputs(source)[0]!.expression).toContain('secretValue');
  });

  it('outputs the app name, URL and vault name for azd and scripts', () => {
    const names = outputs(read('infra/main.bicep')).map((o) => o.name);
    for (const name of [
      'AZURE_FUNCTION_NAME',
      'AZURE_FUNCTION_URL',
      'AZURE_KEY_VAULT_NAME',
      'AZURE_RESOURCE_GROUP',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('main.parameters.json only sets parameters main.bicep declares', () => {
    const params = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, unknown> };
    const declared = new Set([...main().matchAll(/^param\s+(\w+)/gm)].map((m) => m[1]!));
    for (const name of Object.keys(params.parameters)) expect(declared.has(name), name).toBe(true);
    expect(Object.keys(params.parameters)).toEqual(expect.arrayContaining(['environmentName', 'location']));
  });

  it('azure.yaml deploys this project as the function service the templates tag', () => {
    const azd = parseYaml(read('azure.yaml')) as { services: Record<string, Record<string, unknown>> };
    expect(azd.services.api).toMatchObject({ project: '.', language: 'ts', host: 'function' });
  });
});

describe('roles: every Azure operation the code performs is covered, nothing broader is granted', () => {
  const assigned = (): Set<string> => roleGuids(allBicep());

  const needed = (): { pkg: string; roles: string[]; file: string }[] => {
    const needs: { pkg: string; roles: string[]; file: string }[] = [];
    for (const [pkg, file] of azurePackagesUsed()) {
      if (isNoRolePackage(pkg)) continue;
      needs.push({ pkg, roles: DATA_PLANE_ROLES[pkg] ?? [], file });
    }
    const src = sourceFiles().map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
    // The host keeps timer schedules and singleton locks in blobs (needs Owner), and moves poison messages.
    if (src.some((s) => /\bapp\.timer\s*\(/.test(s))) {
      needs.push({ pkg: 'timer trigger', roles: [ROLES.storageBlobDataOwner], file: 'src/functions' });
    }
    if (src.some((s) => /\bapp\.storageQueue\s*\(/.test(s))) {
      needs.push({ pkg: 'queue trigger', roles: [ROLES.storageQueueDataContributor], file: 'src/functions' });
    }
    return needs;
  };

  it('maps every Azure SDK the code imports to a role', () => {
    const unmapped = needed().filter((need) => need.roles.length === 0);
    expect(
      unmapped.map((n) => `${n.pkg} (imported in ${n.file})`),
      'add the role this SDK needs to infra/modules/rbac.bicep and to DATA_PLANE_ROLES',
    ).toEqual([]);
  });

  it('assigns a covering role for each of them', () => {
    const roles = assigned();
    const uncovered = needed().filter(
      (need) => need.roles.length > 0 && !need.roles.some((r) => roles.has(r)),
    );
    expect(uncovered.map((n) => `${n.pkg} needs one of ${n.roles.join(' | ')}`)).toEqual([]);
  });

  it('assigns Monitoring Metrics Publisher because App Insights local auth is off', () => {
    expect(assigned().has(ROLES.monitoringMetricsPublisher)).toBe(true);
  });

  it('grants only known, narrow roles (no Owner, Contributor or administrator roles)', () => {
    const allowed = new Set<string>(Object.values(ROLES));
    const extra = [...assigned()].filter((guid) => !allowed.has(guid));
    expect(extra, 'role definitions assigned in infra/*.bicep that no check justifies').toEqual([]);
  });

  it('reads secrets only: the app identity never needs a secret-writing role', () => {
    const writers = [
      'setSecret',
      'beginDeleteSecret',
      'purgeDeletedSecret',
      'updateSecretProperties',
    ].flatMap((m) => filesCalling(m).map((f) => `${f} calls ${m}`));
    expect(writers, 'Key Vault Secrets User cannot do this; the templates grant no more').toEqual([]);
  });

  it('scopes Reader to the one scale set, never to a resource group or subscription', () => {
    const module = stripComments(read('infra/modules/scale-set-reader.bicep'));
    expect(module).toMatch(/resource scaleSet 'Microsoft\.Compute\/virtualMachineScaleSets@[^']+' existing/);
    expect(module).toMatch(/scope:\s*scaleSet\b/);
    const files = bicepFiles().filter((f) => roleGuids(read(f)).has(ROLES.reader));
    expect(files).toEqual(['infra/modules/scale-set-reader.bicep']);
  });
});

describe('host.json fits Flex Consumption', () => {
  const host = (): Record<string, unknown> => JSON.parse(read('host.json')) as Record<string, unknown>;

  it('uses extension bundle v4 ([4.0.0, 5.0.0), the range Flex requires)', () => {
    const bundle = host().extensionBundle as { id?: string; version?: string } | undefined;
    expect(bundle?.id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
    expect(bundle?.version?.replace(/\s+/g, '')).toMatch(/^\[4(\.0\.0|\.\*),5\.0\.0\)$/);
  });

  it('sets a bounded function timeout within the Flex default (30 min)', () => {
    const timeout = host().functionTimeout;
    expect(typeof timeout, 'host.json functionTimeout').toBe('string');
    const match = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(timeout as string);
    expect(match, `functionTimeout "${String(timeout)}" is not hh:mm:ss`).not.toBeNull();
    const seconds = Number(match![1]) * 3600 + Number(match![2]) * 60 + Number(match![3]);
    expect(seconds).toBeGreaterThanOrEqual(60);
    expect(seconds).toBeLessThanOrEqual(30 * 60);
  });

  it('keeps the /api route prefix the deployment guide uses', () => {
    const http = (host().extensions as { http?: { routePrefix?: string } } | undefined)?.http;
    expect(http?.routePrefix ?? 'api').toBe('api');
    expect(host().version).toBe('2.0');
  });
});

describe('deploy workflow', () => {
  it('tests, then deploys with OIDC federated credentials', () => {
    const workflow = parseYaml(read('.github/workflows/deploy.yml')) as {
      permissions?: Record<string, string>;
      jobs: Record<
        string,
        {
          needs?: string | string[];
          permissions?: Record<string, string>;
          steps: { uses?: string; run?: string; with?: Record<string, string> }[];
        }
      >;
    };
    const test = workflow.jobs.test!;
    expect(
      test.steps.some((s) => /npm ci/.test(s.run ?? '')) &&
        test.steps.some((s) => /npm test/.test(s.run ?? '')),
    ).toBe(true);
    const deploy = workflow.jobs.deploy!;
    expect([deploy.needs].flat()).toContain('test');
    expect({ ...workflow.permissions, ...deploy.permissions }['id-token']).toBe('write');
    const login = deploy.steps.find((s) => s.uses?.startsWith('azure/login@'));
    expect(login?.uses).toBe('azure/login@v2');
    expect(Object.keys(login?.with ?? {}).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    expect(JSON.stringify(deploy)).not.toMatch(/client-secret|creds:/);
  });
});

describe('Markdown parsing (controls)', () => {
  const doc = [
    '# app',
    '## Running the functions locally',
    '- `func` start',
    '## Configuration',
    '| `A_SETTING` / `B_SETTING` | x |',
    '```sh',
    '# not a heading',
    '```',
    '### Details',
    '`C_SETTING`',
    '## Functions',
    '| Function | Trigger |',
    '|---|---|',
    '| `reconcile` | timer |',
    '- `status` GET /api/status',
    '## Benchmarks',
    '| `bench` | x |',
  ].join('\n');

  it('reads a section with its subsections, skipping fenced code', () => {
    expect([...backticked(markdownSection(doc, /configuration/i)!)].sort()).toEqual([
      'A_SETTING',
      'B_SETTING',
      'C_SETTING',
    ]);
  });

  it('lists the functions of the "Functions" section only', () => {
    expect(readmeFunctions(doc)).toEqual(['reconcile', 'status']);
  });
});

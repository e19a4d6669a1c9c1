/**
 * The parsed templates (tree-sitter-bicep, so comments and strings cannot fool the checks): nothing Flex
 * Consumption rejects, the hardening the module defaults leave open, settings that cannot go stale, one
 * Reader per scale set, and the operator principals azd can set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, bicepFiles, bicepProperties, type BicepProperty } from './support/bicep';

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

let props: Map<string, BicepProperty[]>;
beforeAll(async () => {
  props = new Map();
  for (const file of bicepFiles()) props.set(file, await bicepProperties(read(file)));
});

/** Properties of the declaration `name` in `file`, keyed by their dotted path. */
function declaration(file: string, name: string): Map<string, BicepProperty> {
  const own = (props.get(file) ?? []).filter((p) => p.declaration === name);
  expect(own.length, `${file}: ${name}`).toBeGreaterThan(0);
  return new Map(own.map((p) => [p.path.join('.'), p]));
}

describe('Flex Consumption site', () => {
  it('sets no siteConfig.alwaysOn or ftpsState anywhere, and keeps minTlsVersion 1.2', () => {
    const removed = [...props.values()]
      .flat()
      .filter((p) => ['alwaysOn', 'ftpsState'].includes(p.path.at(-1)!))
      .map((p) => `${p.declaration}: ${p.path.join('.')}`);
    expect(removed).toEqual([]);
    const site = declaration('infra/modules/api.bicep', 'site');
    expect([...site.keys()].filter((k) => k.startsWith('params.siteConfig.'))).toEqual([
      'params.siteConfig.minTlsVersion',
    ]);
    expect(site.get('params.siteConfig.minTlsVersion')?.value).toBe("'1.2'");
  });

  it('turns SCM basic publishing credentials off (deployments authenticate with Entra ID)', () => {
    const site = declaration('infra/modules/api.bicep', 'site');
    expect(site.get('params.basicPublishingCredentialsPolicies.name')?.value).toBe("'scm'");
    expect(site.get('params.basicPublishingCredentialsPolicies.allow')?.value).toBe('false');
  });

  it('control: the parser finds a property nested in module params, not one in a comment', async () => {
    const found = await bicepProperties(
      "module s 'x.bicep' = {\n  params: {\n    siteConfig: {\n      // ftpsState: 'x'\n      ftpsState: 'FtpsOnly'\n    }\n  }\n}\n",
    );
    expect(found.map((p) => p.path.join('.'))).toEqual([
      'params',
      'params.siteConfig',
      'params.siteConfig.ftpsState',
    ]);
  });
});

describe('hardening the module defaults leave open', () => {
  it('Key Vault: not for deployment, template deployment or disk encryption', () => {
    const vault = declaration('infra/main.bicep', 'vault');
    for (const flag of [
      'enableVaultForDeployment',
      'enableVaultForTemplateDeployment',
      'enableVaultForDiskEncryption',
    ])
      expect(vault.get(`params.${flag}`)?.value, flag).toBe('false');
    expect(vault.get('params.enableRbacAuthorization')?.value).toBe('true');
  });

  it('Application Insights: client IP addresses masked', () => {
    expect(declaration('infra/main.bicep', 'appInsights').get('params.disableIpMasking')?.value).toBe(
      'false',
    );
  });

  it('Storage: no cross-tenant replication, blob and container soft delete on', () => {
    const storage = declaration('infra/main.bicep', 'storage');
    expect(storage.get('params.allowCrossTenantReplication')?.value).toBe('false');
    expect(storage.get('params.allowSharedKeyAccess')?.value).toBe('false');
    expect(storage.get('params.blobServices.deleteRetentionPolicyEnabled')?.value).toBe('true');
    expect(storage.get('params.blobServices.containerDeleteRetentionPolicyEnabled')?.value).toBe('true');
    expect(Number(storage.get('params.blobServices.deleteRetentionPolicyDays')?.value)).toBeGreaterThan(0);
    expect(
      Number(storage.get('params.blobServices.containerDeleteRetentionPolicyDays')?.value),
    ).toBeGreaterThan(0);
  });
});

describe('app settings cannot go stale', () => {
  it('writes every scaler setting unconditionally (the site module merges into the current settings)', () => {
    const api = declaration('infra/main.bicep', 'api');
    const appSettings = api.get('params.appSettings');
    // An object literal, not union()/a ternary that would leave an optional key out when it is empty.
    expect(appSettings?.valueType).toBe('object');
    expect(api.get('params.appSettings.WEBHOOK_HMAC_SECRET')?.value).toBe('hmacSecretName');
    const main = read('infra/main.bicep');
    expect(main).toMatch(/var hmacSecretName = [\s\S]*?: ''\)/);
  });
});

describe('roles for the pools and the operators', () => {
  it('grants Reader on every scale set in scaleSetResourceIds, each in its own resource group', () => {
    const main = read('infra/main.bicep');
    expect(main).toMatch(/^param scaleSetResourceIds array = \[\]/m);
    expect(main).not.toMatch(/\bscaleSetResourceId\b/);
    const readers = declaration('infra/main.bicep', 'scaleSetReaders');
    expect(readers.get('scope')?.value).toBe(
      "resourceGroup(split(scaleSetId, '/')[2], split(scaleSetId, '/')[4])",
    );
    expect(readers.get('params.scaleSetName')?.value).toBe("last(split(scaleSetId, '/'))");
    expect(main).toMatch(
      /module scaleSetReaders '\.\/modules\/scale-set-reader\.bicep' = \[\s*for \(scaleSetId, i\) in scaleSetResourceIds:/,
    );
  });

  it('lets azd set the principal types and the operator principals', () => {
    const params = (
      JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> }
    ).parameters;
    expect(params['secretsOfficerPrincipalType']?.value).toBe('${SECRETS_OFFICER_PRINCIPAL_TYPE=User}');
    expect(params['auditReaderPrincipalId']?.value).toBe('${AUDIT_READER_PRINCIPAL_ID=}');
    expect(params['scaleSetResourceIds']?.value).toBe('${SCALE_SET_RESOURCE_IDS=[]}');
    expect(params['alertEmailAddresses']?.value).toBe('${ALERT_EMAIL_ADDRESSES=[]}');
    // The hook stages the policy where the deployed setting says the app reads it.
    expect(params['scalerPolicyPath']?.value).toBe('${SCALER_POLICY_PATH=scaler.policy.yaml}');
  });

  it('gives operator roles only to the optional principals, and only when set', () => {
    const rbac = read('infra/modules/rbac.bicep');
    expect(rbac).toMatch(/resource secretsOfficer [^=]+= if \(!empty\(secretsOfficerPrincipalId\)\)/);
    expect(rbac).toMatch(/resource auditReader [^=]+= if \(!empty\(auditReaderPrincipalId\)\)/);
    const reader = declaration('infra/modules/rbac.bicep', 'auditReader');
    expect(reader.get('properties.principalId')?.value).toBe('auditReaderPrincipalId');
    expect(reader.get('properties.roleDefinitionId')?.value).toMatch(/roles\.storageTableDataReader/);
  });
});

/**
 * The alerting and the workbook read telemetry the code writes: every event and field the queries in
 * infra/ reference is declared in src/lib/telemetry.ts (which the function tests show is what the handlers
 * log), every rule fires once per incident, and the four incidents operators expect are covered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TELEMETRY_EVENTS, TELEMETRY_FIELDS } from '../../src/lib/telemetry';
import { ROOT, bicepProperties, stripComments } from './support/bicep';
import { kqlReferences } from './support/kql';
import { sourceFiles } from './support/project';

const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
const MODULE = 'infra/modules/monitoring.bicep';

/** The KQL files the monitoring module loads, by the path it names them with. */
function alertQueryFiles(): string[] {
  return [
    ...stripComments(read(MODULE)).matchAll(/loadTextContent\('\.\.\/(monitoring\/alerts\/[^']+\.kql)'\)/g),
  ].map((m) => `infra/${m[1]!}`);
}

interface WorkbookItem {
  type: number;
  name: string;
  content: {
    query?: string;
    timeContextFromParameter?: string;
    resourceType?: string;
    parameters?: unknown[];
  };
}

const workbook = (): { version: string; items: WorkbookItem[] } =>
  JSON.parse(read('infra/monitoring/workbook.json')) as { version: string; items: WorkbookItem[] };

/** Every query the alerts and the workbook run, with where it comes from. */
function allQueries(): { where: string; query: string }[] {
  return [
    ...alertQueryFiles().map((file) => ({ where: file, query: read(file) })),
    ...workbook()
      .items.filter((item) => item.content.query !== undefined)
      .map((item) => ({ where: `workbook item ${item.name}`, query: item.content.query! })),
  ];
}

/** HTTP function names the code registers (`app.http('name', …)`). */
function httpFunctions(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles().filter((f) => f.startsWith('src/functions/')))
    for (const m of read(file).matchAll(/\bapp\.http\(\s*'([^']+)'/g)) names.add(m[1]!);
  return names;
}

describe('alert rules and workbook query only telemetry the code writes', () => {
  const events = new Set<string>(Object.values(TELEMETRY_EVENTS));

  it('finds the four alert queries and the workbook queries', () => {
    expect(alertQueryFiles()).toHaveLength(4);
    for (const file of alertQueryFiles()) expect(fs.existsSync(path.join(ROOT, file)), file).toBe(true);
    expect(workbook().items.filter((i) => i.type === 3).length).toBeGreaterThanOrEqual(8);
  });

  it.each(allQueries())('$where names declared events and only their declared fields', ({ query }) => {
    const refs = kqlReferences(query);
    expect(refs.tables.length, 'a query starts from a table').toBe(1);
    expect(['traces', 'requests']).toContain(refs.tables[0]);
    if (refs.tables[0] === 'traces') {
      expect(refs.events.length, 'a traces query names the event it reads').toBeGreaterThan(0);
      expect(refs.events.filter((e) => !events.has(e))).toEqual([]);
      const declared = new Set<string>(
        refs.events.flatMap((e) => [...TELEMETRY_FIELDS[e as keyof typeof TELEMETRY_FIELDS]]),
      );
      declared.add('event');
      expect(
        refs.fields.filter((f) => !declared.has(f)),
        `fields of ${refs.events.join(', ')}`,
      ).toEqual([]);
      // Every query reads the JSON line the same way, so a field read is always `e.<field>`.
      expect(query).toMatch(/extend e = parse_json\(message\)/);
    } else {
      expect(refs.requestNames.length).toBeGreaterThan(0);
      const registered = httpFunctions();
      expect(refs.requestNames.filter((n) => !registered.has(n))).toEqual([]);
    }
  });

  it('uses every event the code declares somewhere', () => {
    const used = new Set(allQueries().flatMap(({ query }) => kqlReferences(query).events));
    expect([...events].filter((e) => !used.has(e))).toEqual([]);
  });

  it('reads fields through the workbook time range parameter', () => {
    const items = workbook().items;
    const parameters = items.find((i) => i.type === 9);
    expect(JSON.stringify(parameters)).toContain('"name":"TimeRange"');
    for (const item of items.filter((i) => i.type === 3)) {
      expect(item.content.timeContextFromParameter, item.name).toBe('TimeRange');
      expect(item.content.resourceType, item.name).toBe('microsoft.insights/components');
    }
    expect(workbook().version).toBe('Notebook/1.0');
  });

  it('control: a query reading an undeclared field or event is caught', () => {
    const refs = kqlReferences(
      'traces\n| extend e = parse_json(message)\n| where tostring(e.event) == "ScalerRunSummary" // e.nope\n| where e.pointsSavedTotal > 0',
    );
    expect(refs.events).toEqual(['ScalerRunSummary']);
    expect(refs.fields).toEqual(['event', 'pointsSavedTotal']);
    expect(TELEMETRY_FIELDS.ScalerRunSummary as readonly string[]).not.toContain('pointsSavedTotal');
    expect(kqlReferences('requests\n| where name in ("claimLicense", "x")').requestNames).toEqual([
      'claimLicense',
      'x',
    ]);
  });
});

describe('alert rules: the four incidents, each notified once', () => {
  const query = (file: string): string => read(`infra/monitoring/alerts/${file}`);

  it('covers failed actions, missing completed runs, pending reactivations and failed deliveries', () => {
    expect(kqlReferences(query('failed-actions.kql')).events).toEqual(['ScalerActionFailed']);
    expect(query('completed-runs.kql')).toMatch(/tostring\(e\.outcome\) == "completed"/);
    expect(query('pending-reactivations.kql')).toMatch(/toint\(e\.reactivationsPending\) > 0/);
    expect(kqlReferences(query('failed-deliveries.kql')).events).toEqual(['ScalerDeliveryFailed']);
  });

  it('declares the rules stateful (autoMitigate), evaluated every 5 minutes, with the thresholds of each incident', async () => {
    const props = await bicepProperties(read(MODULE));
    const rules = props.filter((p) => p.declaration === 'rules');
    const rule = (name: string): Record<string, string> => {
      const index = rules.findIndex((p) => p.path.join('.') === 'name' && p.value === `'${name}'`);
      expect(index, name).toBeGreaterThanOrEqual(0);
      const own = rules.slice(
        index,
        rules.findIndex((p, i) => i > index && p.path.join('.') === 'name') >>> 0,
      );
      return Object.fromEntries(own.map((p) => [p.path.join('.'), p.value]));
    };
    expect(rule('no-completed-run')).toMatchObject({
      operator: "'LessThan'",
      threshold: '1',
      windowSize: "'PT30M'",
    });
    for (const name of ['failed-actions', 'reactivation-pending', 'delivery-failed'])
      expect(rule(name)).toMatchObject({ operator: "'GreaterThan'", threshold: '0' });
    expect(rule('reactivation-pending').severity).toBe('1');

    const alert = props.filter((p) => p.type.startsWith('Microsoft.Insights/scheduledQueryRules@'));
    const value = (key: string): string | undefined =>
      alert.find((p) => p.path.join('.') === `properties.${key}`)?.value;
    expect(value('autoMitigate')).toBe('true');
    expect(value('muteActionsDuration')).toBeUndefined();
    expect(value('evaluationFrequency')).toBe("'PT5M'");
    expect(value('scopes')).toMatch(/appInsightsId/);
    expect(value('actions.actionGroups')).toMatch(/actionGroup\.id/);
    expect(alert.find((p) => p.path.join('.') === 'properties.criteria.allOf.timeAggregation')?.value).toBe(
      "'Count'",
    );
  });

  it('notifies the e-mail receivers from a parameter and the optional webhook', async () => {
    const props = await bicepProperties(read(MODULE));
    const group = props.filter((p) => p.type.startsWith('Microsoft.Insights/actionGroups@'));
    const at = (key: string) => group.find((p) => p.path.join('.') === key);
    expect(at('properties.emailReceivers')?.value).toMatch(/for \(address, i\) in emailAddresses/);
    expect(at('properties.emailReceivers.emailAddress')?.value).toBe('address');
    expect(at('properties.webhookReceivers')?.value).toMatch(/^empty\(webhookUrl\)/);
    expect(at('properties.webhookReceivers.useCommonAlertSchema')?.value).toBe('true');
    expect(at('properties.groupShortName')!.value.replace(/'/g, '').length).toBeLessThanOrEqual(12);
    expect(stripComments(read(MODULE))).toMatch(/@secure\(\)\s*(?:@[^\n]*\n\s*)*param webhookUrl string/);
  });

  it('deploys the workbook linked to Application Insights from the checked file', async () => {
    const props = await bicepProperties(read(MODULE));
    const book = props.filter((p) => p.type.startsWith('Microsoft.Insights/workbooks@'));
    const at = (key: string) => book.find((p) => p.path.join('.') === key)?.value;
    expect(at('kind')).toBe("'shared'");
    expect(at('properties.sourceId')).toBe('appInsightsId');
    expect(at('properties.serializedData')).toMatch(/loadJsonContent\('\.\.\/monitoring\/workbook\.json'\)/);
    const main = await bicepProperties(read('infra/main.bicep'));
    const monitoring = main.filter((p) => p.declaration === 'monitoring');
    expect(monitoring.find((p) => p.path.join('.') === 'params.appInsightsId')?.value).toBe(
      'appInsights.outputs.resourceId',
    );
    expect(monitoring.find((p) => p.path.join('.') === 'params.emailAddresses')?.value).toBe(
      'alertEmailAddresses',
    );
  });
});

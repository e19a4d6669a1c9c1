import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema } from '../../../src/lib/rules';

const ROOT = join(__dirname, '..', '..', '..');

describe('policy JSON Schema', () => {
  it('the committed scaler.policy.schema.json matches the zod definition', () => {
    const committed: unknown = JSON.parse(readFileSync(join(ROOT, 'scaler.policy.schema.json'), 'utf8'));
    expect(
      committed,
      'scaler.policy.schema.json is out of date: regenerate it with `npx tsx scripts/generate-policy-schema.ts`',
    ).toEqual(policyJsonSchema());
  });

  it('describes the policy for editors: closed objects, defaults and span help', () => {
    const schema = policyJsonSchema() as {
      additionalProperties: boolean;
      properties: Record<
        string,
        { default?: unknown; additionalProperties?: { properties?: Record<string, unknown> } }
      >;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties['mode']!.default).toBe('enforce');
    const schedule = schema.properties['schedules']!.additionalProperties!.properties!;
    expect(JSON.stringify(schedule['active'])).toContain('Fri 18:00-Mon 06:00');
  });
});

/**
 * Writes scaler.policy.schema.json from the policy's zod definition, formatted like the rest of the tree.
 * Run: npx tsx scripts/generate-policy-schema.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { policyJsonSchema } from '../src/lib/rules/schema';

async function main(): Promise<void> {
  const target = join(__dirname, '..', 'scaler.policy.schema.json');
  const options = (await resolveConfig(target)) ?? {};
  writeFileSync(target, await format(JSON.stringify(policyJsonSchema()), { ...options, filepath: target }));
  console.log(`wrote ${target}`);
}

void main();

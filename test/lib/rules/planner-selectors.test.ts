import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRuleIndex, folderMatches, ruleSelects, type Rule } from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

const serials = ['S1', 'S2', 'S3', 'S4'];
const keys = fc
  .record(
    {
      configIds: fc.subarray([10, 11, 20], { minLength: 1 }),
      serialNumbers: fc.subarray(serials, { minLength: 1 }),
      descriptionPrefix: fc.constantFrom('lab-', 'branch-', 'branch-berlin'),
      folderPath: fc.constantFrom('My Assets/lab', 'My Assets/branches', 'My Assets'),
    },
    { requiredKeys: [] },
  )
  .filter((k) => Object.keys(k).length > 0);
const selector = fc
  .tuple(keys, fc.option(keys, { nil: undefined }))
  .filter(([include]) =>
    Object.values(include).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined)),
  )
  .map(([include, exclude]) => (exclude === undefined ? include : { ...include, exclude }));
const entitlement = fc.record({
  serialNumber: fc.constantFrom(...serials, 'S9'),
  configId: fc.constantFrom(10, 11, 20, 30),
  description: fc.constantFrom('lab-1', 'branch-berlin-01', 'branch-paris', 'other'),
  folder: fc.option(
    fc.constantFrom('My Assets/lab', 'My Assets/lab/x', 'My Assets/laboratory', 'My Assets/branches'),
    {
      nil: undefined,
    },
  ),
  originalConfigId: fc.option(fc.constantFrom(10, 20), { nil: undefined }),
});

describe('rule selection', () => {
  it('the index answers exactly like checking every rule in turn', () => {
    fc.assert(
      fc.property(
        fc.array(selector, { minLength: 1, maxLength: 6 }),
        fc.array(entitlement, { maxLength: 10 }),
        (selects, list) => {
          const rules: Rule[] = policyOf(selects.map((select, i) => ({ name: `r${i}`, select }))).rules;
          const index = buildRuleIndex(rules, true);
          for (const x of list) {
            const e = ent(x.serialNumber, 'ACTIVE', x.configId, x.description);
            const context = { folderPath: x.folder, originalConfigId: x.originalConfigId };
            const expected = rules.flatMap((rule, i) => (ruleSelects(rule, e, context) ? [i] : []));
            expect(index.match(e, context)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches a folder and the folders below it, not a folder that merely shares the prefix', () => {
    expect(folderMatches('My Assets/lab', 'My Assets/lab')).toBe(true);
    expect(folderMatches('My Assets/lab/', 'My Assets/lab/berlin')).toBe(true);
    expect(folderMatches('My Assets/lab', 'My Assets/laboratory')).toBe(false);
    expect(folderMatches('My Assets/lab', undefined)).toBe(false);
  });

  it('keeps a switched entitlement under the rule that selected its original config', () => {
    const [rule] = policyOf([{ name: 'r', select: { configIds: [10] } }]).rules;
    expect(ruleSelects(rule!, ent('A', 'ACTIVE', 11))).toBe(false);
    expect(ruleSelects(rule!, ent('A', 'ACTIVE', 11), { originalConfigId: 10 })).toBe(true);
  });
});

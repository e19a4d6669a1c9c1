/**
 * YAML structure the schema never sees: undefined aliases, alias bombs and collection keys are invalid
 * policies like any other, each a one-line problem naming its path, with alias expansion bounded.
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_EXPANDED_NODES, parsePolicy, PolicyError } from '../../../src/lib/rules';

const HEAD = `fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
schedules:
  office: &office { timezone: Europe/Berlin, active: ["Mon-Fri 07:00-19:00"] }
`;

function issues(text: string): string[] {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the policy to be rejected');
}

describe('parsePolicy and YAML structure', () => {
  it('names the path of an alias whose anchor is not defined', () => {
    expect(
      issues(`${HEAD}rules:\n  - { name: a, select: { configIds: [1] }, schedule: *nowhere }\n`),
    ).toEqual([
      'rules[0].schedule: *nowhere — alias of an anchor that is not defined before it; expected "&nowhere" on an earlier value',
    ]);
  });

  it('refuses an alias bomb before expanding it, naming where the bound was crossed', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...['b', 'c', 'd', 'e', 'f'].map((name, i) => {
        const previous = 'abcde'[i]!;
        return `${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(', ')}]`;
      }),
    ].join('\n');
    const started = Date.now();
    const found = issues(`${HEAD}${bomb}\n`);
    expect(Date.now() - started).toBeLessThan(5_000); // a guard against runaway expansion, not a benchmark
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(`^d\\[\\d+\\]: aliases expand the policy beyond ${MAX_EXPANDED_NODES} values; expected`),
    );
  });

  it('refuses a list or mapping used as a key, without Node warnings', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      expect(issues(`${HEAD}rates:\n  ? [2198, 2199]\n  : 3\n`)).toEqual([
        'rates: a list or mapping used as a key; expected plain keys such as names',
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('still accepts ordinary anchors and aliases', () => {
    const policy = parsePolicy(
      `${HEAD}  lab: *office\nrules:\n  - { name: a, select: { configIds: [1] }, schedule: lab }\n`,
    );
    expect(policy.schedules.lab).toEqual(policy.schedules.office);
  });
});

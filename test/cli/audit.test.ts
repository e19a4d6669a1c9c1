import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type StorageSettings } from '../../src/lib/state';
import { createAuditRegistrar, parseAuditDate } from '../../src/cli/commands/audit';
import { bufferIo, UsageError } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { createStateStore, type StateStore } from '../../src/lib/state';

const prefix = `a${randomBytes(4).toString('hex')}`;
let store: StateStore;
const seen: StorageSettings[] = [];

/** Runs `audit ...` on a program carrying only the audit command, against the test store. */
async function audit(
  args: string[],
  env: NodeJS.ProcessEnv = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
) {
  const io = bufferIo();
  const program = new Command('fortiflex-scaler')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  createAuditRegistrar({
    env,
    createStore: async (storage) => {
      seen.push(storage);
      return store;
    },
  })(program, io);
  await program.parseAsync(['node', 'fortiflex-scaler', 'audit', ...args]);
  return io;
}

beforeAll(async () => {
  store = await createStateStore(
    { kind: 'connectionString', connectionString: inject('azuriteConnectionString') },
    { prefix, now: () => new Date('2026-03-10T12:00:00Z') },
  );
  const base = {
    runId: 'run-1',
    actor: 'reconcile',
    rule: 'branch-firewalls',
    outcome: 'succeeded' as const,
  };
  await store.audit.append({
    ...base,
    at: '2026-03-06T18:00:00.000Z',
    serialNumber: 'FGVM01',
    action: 'stop',
    reason: 'outside office hours (Europe/Berlin)',
    ptDaysSaved: 2,
  });
  await store.audit.append({
    ...base,
    at: '2026-03-09T05:00:00.000Z',
    serialNumber: 'FGVM01',
    action: 'reactivate',
    reason: 'office opens 07:00 Europe/Berlin',
  });
  await store.audit.append({
    ...base,
    at: '2026-03-09T05:00:01.000Z',
    serialNumber: 'FGVM02',
    action: 'reactivate',
    outcome: 'failed',
    reason: 'office opens',
    error: 'HTTP 500\nstack',
  });
  await store.audit.append({
    runId: 'run-2',
    actor: 'scale',
    pool: 'vmss-fgt',
    outcome: 'succeeded',
    at: '2026-03-10T09:00:00.000Z',
    serialNumber: 'FGVM03',
    action: 'claim',
    reason: 'instance vm-7 booted',
  });
});

describe('fortiflex-scaler audit', () => {
  it('prints who did what to a serial, newest first, as a table', async () => {
    const io = await audit(['--serial', 'FGVM01']);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^at\s+actor\s+serial\s+action\s+outcome\s+rule\/pool\s+reason$/);
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(
        /^2026-03-09T05:00:00.000Z\s+reconcile\s+FGVM01\s+reactivate\s+succeeded\s+branch-firewalls\s+office opens 07:00/,
      ),
      expect.stringMatching(
        /^2026-03-06T18:00:00.000Z\s+reconcile\s+FGVM01\s+stop\s+succeeded\s+branch-firewalls\s+outside office hours/,
      ),
    ]);
    expect(seen.at(-1)).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
  });

  it('filters by UTC days (until inclusive), limits, and shows pools and first error lines', async () => {
    const io = await audit(['--since', '2026-03-09', '--until', '2026-03-10', '--limit', '5']);
    expect(io.out).toContain('vmss-fgt');
    expect(io.out).toContain('office opens (error: HTTP 500)');
    expect(io.out).not.toContain('stack');
    expect(io.out).not.toContain('2026-03-06');
    const limited = await audit(['--limit', '1', '--json']);
    expect(JSON.parse(limited.out)).toEqual([
      expect.objectContaining({ serialNumber: 'FGVM03', actor: 'scale', pool: 'vmss-fgt', action: 'claim' }),
    ]);
  });

  it('prints JSON entries with --json', async () => {
    const io = await audit(['--serial', 'FGVM01', '--since', '2026-03-07T00:00:00Z', '--json']);
    expect(JSON.parse(io.out)).toEqual([
      {
        at: '2026-03-09T05:00:00.000Z',
        runId: 'run-1',
        actor: 'reconcile',
        serialNumber: 'FGVM01',
        action: 'reactivate',
        outcome: 'succeeded',
        rule: 'branch-firewalls',
        reason: 'office opens 07:00 Europe/Berlin',
      },
    ]);
  });

  it('says so when nothing matches', async () => {
    expect((await audit(['--serial', 'NOPE'])).out).toBe('No audit entries match.\n');
  });

  it('rejects bad dates, limits and settings with a usage error naming the problem', async () => {
    await expect(audit(['--since', 'last tuesday'])).rejects.toThrow(
      '--since: "last tuesday" is not a date; expected YYYY-MM-DD (a UTC day) or an ISO instant such as 2026-03-02T08:00:00Z',
    );
    await expect(audit(['--until', '2026-02-30'])).rejects.toBeInstanceOf(UsageError);
    await expect(audit(['--limit', '0'])).rejects.toThrow(/--limit/);
    await expect(audit([], {})).rejects.toThrow(/^AzureWebJobsStorage: not set/);
    await expect(audit(['--since', '2026-03-10', '--until', '2026-03-01'])).rejects.toThrow(
      /--until: must be after --since/,
    );
  });

  it('exits 2 through the real CLI for a bad date, before touching storage', async () => {
    const io = bufferIo();
    const code = await main(['node', 'fortiflex-scaler', 'audit', '--until', '03/10/2026'], io);
    expect(code).toBe(2);
    expect(io.err).toBe(
      'fortiflex-scaler: --until: "03/10/2026" is not a date; expected YYYY-MM-DD (a UTC day) or an ISO instant such as 2026-03-02T08:00:00Z\n',
    );
  });

  it('parses day and instant forms', () => {
    expect(parseAuditDate('--since', '2026-03-09').toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(parseAuditDate('--until', '2026-03-09').toISOString()).toBe('2026-03-10T00:00:00.000Z');
    expect(parseAuditDate('--until', '2026-03-09T10:00:00+02:00').toISOString()).toBe(
      '2026-03-09T08:00:00.000Z',
    );
    expect(() => parseAuditDate('--since', '2026-03-09T10:00')).toThrow(UsageError); // no zone: ambiguous
  });

  it('is registered on the root program', async () => {
    const io = bufferIo();
    expect(await main(['node', 'fortiflex-scaler', 'audit', '--help'], io)).toBe(0);
    expect(io.out).toContain('--serial <serialNumber>');
  });
});

/**
 * `apply` processes killed with SIGKILL at random moments of their run, over simulated weeks whose Monday
 * mornings reactivate branches and grow a pool (reactivations with a new token, creates) and whose Friday
 * evenings stop branches and shrink the pool (stops). After a run that is not killed, every change the
 * simulator made has an audit outcome (done, not done or unknown), no record still says `started: …`, and no
 * pool intent is left open.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { poolMarker } from '../../src/app/pools/membership';
import { runReconcile } from '../../src/app/reconcile/reconcile';
import type { AuditEntry } from '../../src/lib/state';
import { defaultSeed } from '../../src/simulator';
import { startTsx } from '../support/processes';
import { MONDAY_MORNING, RATES, startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Kept small for `npm test`; `KILL_TRIALS=28 npx vitest run test/e2e/apply-kills.test.ts` runs more. */
const TRIALS = Number(process.env.KILL_TRIALS ?? 8);
/** A kill comes after up to this many change requests of the run (a whole run makes 13 to 18). */
const KILL_AFTER_CHANGES = 16;
/** FortiFlex operations that change something. */
const CHANGES = new Set([
  'entitlements/stop',
  'entitlements/reactivate',
  'entitlements/update',
  'entitlements/vm/create',
  'entitlements/vm/token',
]);

/** Sequence number of the last request the simulator saw. */
const lastSeq = (harness: Harness): number => harness.sim.requests().at(-1)?.seq ?? 0;

/** Change requests the simulator received after `seq`. */
const changeRequests = (harness: Harness, seq: number): number =>
  harness.sim.requests({ service: 'fortiflex' }).filter((r) => r.seq > seq && CHANGES.has(r.operation))
    .length;
const DAY_MS = 86_400_000;
const POOL = 'vmss-fgt';

const policy = (min: number) => `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
mode: enforce
safety: { maxActionsPerRun: 50, minActiveMinutesAfterReactivate: 60 }
schedules:
  office:
    timezone: Europe/Berlin
    active: ["Mon-Fri 07:00-19:00"]
rules:
  - name: branches
    select: { configIds: [2198] }
    schedule: office
    offHours: stop
pools:
  - name: ${POOL}
    configId: 2200
    capacity:
      - { schedule: office, min: ${min}, max: 40 }
      - { min: 0, max: 1 }
    scaleIn: { deferUntilBillingDayEnd: false }
rates: { 2198: 6.5, 2199: 3.25, 2200: 13 }
`;

/** A seeded generator in [0, 1), so the kill moments are drawn the same way each run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

type Change = { serialNumber: string; kind: 'create' | 'stop' | 'reactivate' | 'token' };

/** What changed in the simulator between two snapshots. */
function changes(before: Map<string, string>, after: Map<string, string>): Change[] {
  const out: Change[] = [];
  for (const [serialNumber, state] of after) {
    const was = before.get(serialNumber);
    if (was === undefined) out.push({ serialNumber, kind: 'create' });
    else if (was !== state) {
      const [status] = state.split('|');
      const [wasStatus] = was.split('|');
      out.push({
        serialNumber,
        kind: status === wasStatus ? 'token' : status === 'STOPPED' ? 'stop' : 'reactivate',
      });
    }
  }
  return out;
}

/** The audit outcome of `change`, made by the run at `at` or recorded later for it. */
function outcomeOf(rows: readonly AuditEntry[], change: Change, at: string): AuditEntry | undefined {
  return rows.find((row) => {
    if (!['succeeded', 'failed', 'unknown'].includes(row.outcome)) return false;
    if (row.at !== at && row.details?.startedAt !== at) return false;
    if (change.kind === 'create') {
      const serials = row.details?.serialNumbers;
      return row.action === 'create' && Array.isArray(serials) && serials.includes(change.serialNumber);
    }
    if (row.serialNumber !== change.serialNumber) return false;
    return change.kind === 'token'
      ? ['reactivate', 'markRelease', 'moveRelease'].includes(row.action)
      : row.action === change.kind;
  });
}

describe('apply killed at random moments', () => {
  it('leaves an audit outcome for every change, once a run completes', async () => {
    const seed = { ...defaultSeed(), rates: RATES };
    seed.entitlements = seed.entitlements.filter((e) => e.configId !== 2200);
    for (let i = 0; i < 2; i += 1) {
      seed.entitlements.push({
        serialNumber: `FGVMPOOL${String(i + 1).padStart(8, '0')}`,
        description: poolMarker(POOL),
        configId: 2200,
        accountId: 12345,
        startDate: '2026-01-05T09:00:00.000',
        endDate: '2027-05-31T00:00:00',
        status: 'STOPPED',
        token: randomBytes(10).toString('hex').toUpperCase(),
        tokenStatus: 'USED',
      });
    }
    // A little latency per request, so a kill lands between a change and its audit row as often as not.
    h = await startHarness({ seed, policy: policy(4), at: MONDAY_MORNING, simulator: { latencyMs: 4 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'apply-kills-'));
    const leases = BlobServiceClient.fromConnectionString(
      inject('azuriteConnectionString'),
    ).getContainerClient(`${h.prefix}scaler-leases`);
    /** A killed holder's lease would expire within a minute; the next trial comes sooner. */
    const expireLeases = async () => {
      if (!(await leases.exists())) return;
      for await (const blob of leases.listBlobsFlat()) {
        if (blob.properties.leaseState === 'leased') {
          await leases.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
        }
      }
    };
    const snapshot = () =>
      new Map(h!.sim.entitlements().map((e) => [e.serialNumber, `${e.status}|${e.token}|${e.configId}`]));

    const draw = random(20261202);
    const trials: { at: string; changes: Change[]; killed: boolean }[] = [];
    for (let i = 0; i < TRIALS; i += 1) {
      const week = Math.floor(i / 2);
      const monday = i % 2 === 0;
      const at = new Date(
        Date.parse(MONDAY_MORNING) + (week * 7 + (monday ? 0 : 4)) * DAY_MS + (monday ? 0 : 11.5 * 3_600_000),
      );
      h.sim.clock.set(at);
      const file = path.join(dir, `policy-${i}.yaml`);
      writeFileSync(file, policy(4 + 2 * week));
      await expireLeases();
      const before = snapshot();
      const seq = lastSeq(h);
      const child = startTsx(
        'test/support/apply-process.ts',
        {
          FORTIFLEX_API_URL: h.sim.apiUrl,
          FORTIFLEX_AUTH_URL: h.sim.authUrl,
          FORTIFLEX_ACCESS_USERNAME: h.sim.credentials.username,
          FORTIFLEX_ACCESS_PASSWORD: h.sim.credentials.password,
          AzureWebJobsStorage: inject('azuriteConnectionString'),
          PREFIX: h.prefix,
          NOW: at.toISOString(),
        },
        [file],
      );
      const ready = await child.waitFor((line) => line === 'ready');
      expect(ready, child.stderr()).toBe(true);
      // The kill comes right after a randomly chosen change request reached FortiFlex (still in flight): the
      // moment that leaves a change without its outcome. A run that makes fewer changes finishes.
      const target = 1 + Math.floor(draw() * KILL_AFTER_CHANGES);
      let killed = false;
      while (child.child.exitCode === null && child.child.signalCode === null) {
        if (changeRequests(h, seq) >= target) {
          killed = child.child.kill('SIGKILL');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const exit = await child.exited;
      if (!killed) expect(exit.code, child.stderr()).toBe(0);
      trials.push({ at: at.toISOString(), changes: changes(before, snapshot()), killed });
    }

    // The next run that is not killed (its lease free, as a minute later): it closes what is still open.
    await expireLeases();
    const closing = await runReconcile(h.deps, h.sim.clock.now());
    expect(closing.skippedReason).toBeUndefined();

    const rows = await h.store.audit.query({ limit: 10_000 });
    const missing = trials.flatMap((trial) =>
      trial.changes
        .filter((change) => !outcomeOf(rows, change, trial.at))
        .map((c) => ({ ...c, at: trial.at })),
    );
    expect(missing).toEqual([]);
    const records = await h.store.records.list();
    expect(records.filter((r) => r.lastReason?.startsWith('started: ')).map((r) => r.serialNumber)).toEqual(
      [],
    );
    expect(await h.store.intents.list(POOL)).toEqual([]);

    const made = trials.reduce((n, t) => n + t.changes.length, 0);
    const kinds = new Set(trials.flatMap((t) => t.changes.map((c) => c.kind)));
    // The trials did stop, reactivate and create, and most runs were killed before they finished.
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['create', 'reactivate', 'stop']));
    const killedRuns = trials.filter((t) => t.killed).length;
    expect(killedRuns).toBeGreaterThanOrEqual(TRIALS / 2);
    console.info(
      `apply kills: ${TRIALS} trials, ${killedRuns} killed mid-run, ${made} changes made, all with an audit outcome`,
    );
  }, 120_000);
});

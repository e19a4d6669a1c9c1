/** Fixtures shared by the plan and forecast CLI tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { type PlanningClient } from '../../src/cli/setup';
import { FortiFlexNetworkError } from '../../src/lib/fortiflex';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';

/** A policy over the simulator's default world: branches and lab machines on Berlin office hours. */
export const POLICY = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
mode: enforce
schedules:
  office:
    timezone: Europe/Berlin
    active: ["Mon-Fri 07:00-19:00"]
rules:
  - name: branches
    select: { configIds: [2198] }
    schedule: office
    offHours: stop
  - name: lab
    select: { descriptionPrefix: "lab-" }
    schedule: office
    offHours: stop
rates: { 2199: 3 }
`;

/** A planning client whose `entitlements/list` fails as if FortiFlex refused the connection. */
export function unreachableClient(): PlanningClient {
  return {
    listEntitlements: async () => {
      throw new FortiFlexNetworkError('entitlements/list', 'connection refused', {});
    },
    listConfigs: async () => [],
    calculatePoints: async () => ({ current: 1, latest: null, latestEffectiveDate: null }),
  };
}

/** A simulator with its default seed, and a temp dir holding a test file's policy files. */
export interface PlanningWorld {
  sim: SimulatorHandle;
  dir: string;
}

/**
 * Registers the test file's hooks: before all tests, start a simulator and write `files` (name → text) into a
 * fresh temp dir named after `tag`; after each test, drop env stubs; after all, stop the simulator and remove
 * the dir. The returned world is filled in by the time the tests run.
 */
export function usePlanningWorld(tag: string, files: Record<string, string>): PlanningWorld {
  const world = {} as PlanningWorld;
  beforeAll(async () => {
    world.dir = await mkdtemp(join(tmpdir(), `${tag}-`));
    for (const [name, text] of Object.entries(files)) await writeFile(join(world.dir, name), text);
    world.sim = await startSimulator();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await world.sim?.stop();
    if (world.dir) await rm(world.dir, { recursive: true, force: true });
  });
  return world;
}

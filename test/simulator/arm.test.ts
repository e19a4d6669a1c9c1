/**
 * The ARM simulator's contract over raw HTTPS (what the SDKs rely on), its ledger, its
 * timing modes, its seed validation, and the request log it shares with the FortiFlex simulator.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSeed, parseSeed, startSimulator, type SimulatorHandle } from '../../src/simulator';
import type { ArmSimulatorHandle } from '../../src/simulator/arm';
import { smallSeed, startArm, SUB } from '../support/arm';
import { login } from './helpers';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One HTTPS request to the simulator, trusting its CA; `token: null` sends no Authorization header. */
function call(
  arm: ArmSimulatorHandle,
  method: string,
  pathOrUrl: string,
  token: string | null = arm.token,
): Promise<Answer> {
  const url = new URL(pathOrUrl, arm.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: arm.caCertificate, headers: token === null ? {} : { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text === '' ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const RG_A = `/subscriptions/${SUB}/resourceGroups/rg-a`;
const VMS = `${RG_A}/providers/Microsoft.Compute/virtualMachines`;
const V = 'api-version=2026-03-01';

let arm: ArmSimulatorHandle | undefined;
let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await arm?.stop();
  await sim?.stop();
  arm = undefined;
  sim = undefined;
});

describe('ARM simulator contract', () => {
  it('refuses requests without the static bearer token, and without an api-version', async () => {
    arm = await startArm();
    expect((await call(arm, 'GET', `${VMS}?${V}`, null)).status).toBe(401);
    const wrong = await call(arm, 'GET', `${VMS}?${V}`, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('AuthenticationFailed');
    const missing = await call(arm, 'GET', VMS);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('MissingApiVersionParameter');
    expect((await call(arm, 'GET', `${VMS}?api-version=1999-01-01`)).status).toBe(200);
    expect((await call(arm, 'DELETE', `${VMS}/fgt-a1?${V}`)).status).toBe(405);
    expect((await call(arm, 'GET', `${RG_A}/providers/Microsoft.Web/sites?${V}`)).status).toBe(404);
    expect(arm.requests().map((r) => r.status)).toEqual([401, 401, 400, 200, 405, 404]);
  });

  it('answers statusOnly items without tags, and refuses $expand=instanceView without the scale-set filter', async () => {
    arm = await startArm();
    const status = await call(
      arm,
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines?${V}&statusOnly=true`,
    );
    const item = status.body.value.find((v: { name: string }) => v.name === 'fgt-a2');
    expect(Object.keys(item).sort()).toEqual(['id', 'name', 'properties']);
    expect(item.properties.instanceView.statuses.map((s: { code: string }) => s.code)).toEqual([
      'ProvisioningState/succeeded',
      'PowerState/deallocated',
    ]);
    const expand = await call(arm, 'GET', `${VMS}?${V}&$expand=instanceView`);
    expect(expand.status).toBe(400);
    expect(expand.body.error.message).toBe(
      'Expand Instance View is only supported when Virtual Machine Scale Set resource filter is applied.',
    );
    const full = await call(arm, 'GET', `${VMS}/fgt-a1?${V}`);
    expect(full.body).toMatchObject({ name: 'fgt-a1', tags: { 'fortiflex-serial': 'FGVM0001' } });
    expect(full.body.properties.instanceView).toBeUndefined();
  });

  it('pages with absolute nextLinks on its own origin', async () => {
    arm = await startArm({ pageSize: 2 });
    let url: string | undefined = `${VMS}?${V}`;
    const names: string[] = [];
    while (url) {
      const page: Answer = await call(arm, 'GET', url);
      names.push(...page.body.value.map((v: { name: string }) => v.name));
      url = page.body.nextLink;
      if (url) expect(new URL(url).origin).toBe(arm.endpoint);
    }
    expect(names).toEqual(['fgt-a1', 'fgt-a2', 'jump-a3']);
  });

  it('runs start as a long-running operation: 202 with operation headers, polls, Location 200 when done', async () => {
    arm = await startArm({ durations: { start: 90_000 } });
    const accepted = await call(arm, 'POST', `${VMS}/fgt-a2/start?${V}`);
    expect(accepted.status).toBe(202);
    expect(accepted.headers['retry-after']).toBe('90');
    expect(accepted.headers['retry-after-ms']).toBe('90000');
    const status = accepted.headers['azure-asyncoperation'] as string;
    const location = accepted.headers.location as string;
    expect(new URL(status).pathname).toMatch(
      new RegExp(
        `^/subscriptions/${SUB}/providers/Microsoft\\.Compute/locations/westeurope/operations/[0-9a-f-]{36}$`,
      ),
    );
    expect(new URL(location).searchParams.get('monitor')).toBe('true');

    arm.clock.advance(60_000);
    const running = await call(arm, 'GET', status);
    expect(running.body.status).toBe('InProgress');
    expect(running.headers['retry-after']).toBe('30');
    expect((await call(arm, 'GET', location)).status).toBe(202);

    arm.clock.advance(30_000);
    const done = await call(arm, 'GET', status);
    expect(done.body).toMatchObject({
      status: 'Succeeded',
      startTime: '2026-03-02T16:00:00.000Z',
      endTime: '2026-03-02T16:01:30.000Z',
    });
    expect(done.headers['retry-after']).toBeUndefined();
    const final = await call(arm, 'GET', location);
    expect(final.status).toBe(200);
    expect(arm.machine('fgt-a2').powerState).toBe('running');
  });

  it('applies an "after" fault: the request takes effect although the answer is an error', async () => {
    arm = await startArm();
    arm.faults.add({ operation: 'vm.deallocate', when: 'after', fault: { kind: 'serverError' } });
    expect((await call(arm, 'POST', `${VMS}/fgt-a1/deallocate?${V}`)).status).toBe(500);
    expect(arm.machine('fgt-a1').powerState).toBe('deallocating');
  });

  it('keeps an hours ledger: starting, running, stopping, stopped billed; deallocated not', async () => {
    arm = await startArm({ durations: { start: 0, deallocate: 0 } });
    const hour = 3600_000;
    arm.clock.advance(2 * hour); // running
    arm.guestShutdown('fgt-a1');
    arm.clock.advance(hour); // stopped: still billed
    arm.setPowerState('fgt-a1', 'deallocated');
    arm.clock.advance(3 * hour);
    await call(arm, 'POST', `${VMS}/fgt-a1/start?${V}`);
    arm.clock.advance(hour);
    expect(arm.billedHours('fgt-a1')).toBe(4);
    expect(
      arm.billedHours('fgt-a1', { from: '2026-03-02T10:00:00-08:00', to: '2026-03-02T14:00:00-08:00' }),
    ).toBe(1);
    // Never-started and deallocated VMs bill nothing.
    expect(arm.billedHours('fgt-a2')).toBe(0);
    expect(arm.machine('fgt-a1').transitions.map((t) => t.state)).toEqual([
      'running',
      'stopped',
      'deallocated',
      'starting',
      'running',
    ]);
  });

  it('keeps removed scale-set instances out of lists but their ledger in reach', async () => {
    arm = await startArm();
    const [added] = arm.addInstances('vmss-u', 1);
    arm.clock.advance(1800_000);
    arm.removeInstances('vmss-u', [added!.name]);
    arm.clock.advance(1800_000);
    expect(arm.billedHours(added!.id)).toBe(0.5);
    expect(arm.machine(added!.id).powerState).toBe('deleted');
    const list = await call(
      arm,
      'GET',
      `/subscriptions/${SUB}/resourceGroups/rg-pools/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-u/virtualMachines?${V}`,
    );
    expect(list.body.value.map((v: { name: string }) => v.name)).toEqual([
      'vmss-u_0',
      'vmss-u_1',
      'vmss-u_2',
    ]);
  });

  it('runs operations on the wall clock, scaled, for benchmarks', async () => {
    arm = await startArm({ timing: 'wall', timeScale: 100, durations: { deallocate: 10_000 } });
    const accepted = await call(arm, 'POST', `${VMS}/fgt-a1/deallocate?${V}`);
    // 10 s of operation at 100× is 100 ms of wall time; Retry-After in seconds is rounded up.
    expect(Number(accepted.headers['retry-after-ms'])).toBeLessThanOrEqual(100);
    expect(accepted.headers['retry-after']).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const done = await call(arm, 'GET', accepted.headers['azure-asyncoperation'] as string);
    expect(done.body.status).toBe('Succeeded');
    expect(arm.machine('fgt-a1').powerState).toBe('deallocated');
  });

  it('refuses bad options and seeds with one line naming the field', async () => {
    await expect(startArm({ host: '0.0.0.0' })).rejects.toThrow(
      /^host: "0\.0\.0\.0" is not a loopback address/,
    );
    await expect(startArm({ durations: { start: -1 } })).rejects.toThrow(
      /^durations\.start: -1 is not valid/,
    );
    await expect(startArm({ pageSize: 0 })).rejects.toThrow(/^pageSize: 0 is not valid/);
    const seed = smallSeed();
    seed.virtualMachines!.push({ ...seed.virtualMachines![0]! });
    await expect(startArm({}, seed)).rejects.toThrow(
      /^seed\.virtualMachines\[6\]\.name: fgt-a1 appears twice/,
    );
    const bad = {
      ...defaultSeed(),
      virtualMachines: [{ subscriptionId: SUB, resourceGroup: 'rg', name: 'v', privateIp: '10.0.0.300' }],
    };
    expect(() => parseSeed(bad)).toThrow(/^seed\.virtualMachines\[0\]\.privateIp: /);
    const mode = {
      ...defaultSeed(),
      scaleSets: [{ subscriptionId: SUB, resourceGroup: 'rg', name: 's', mode: 'Mixed' }],
    };
    expect(() => parseSeed(mode)).toThrow(/^seed\.scaleSets\[0\]\.mode: /);
    expect(() => arm).not.toThrow();
  });
});

describe('ARM and FortiFlex simulators together', () => {
  it('share the simulated clock and one request log, so tests can assert the order of calls', async () => {
    sim = await startSimulator({ arm: { durations: { deallocate: 60_000 } } });
    const armSim = sim.arm!;
    const token = await login(sim);
    const fgt = armSim.machines().find((m) => m.tags['fortiflex-serial'] === 'FGVMMLTM25000101')!;
    const accepted = await call(armSim, 'POST', `${fgt.id}/deallocate?${V}`);
    expect(accepted.status).toBe(202);
    sim.clock.advance(60_000);
    expect(armSim.machine(fgt.id).powerState).toBe('deallocated');
    await fetch(`${sim.apiUrl}entitlements/stop`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serialNumber: 'FGVMMLTM25000101' }),
    });
    const log = sim.requests();
    expect(log.map((r) => `${r.service}:${r.operation}:${r.status}`)).toEqual([
      'fortiflex:oauth/token:200',
      'arm:vm.deallocate:202',
      'fortiflex:entitlements/stop:200',
    ]);
    expect(log.map((r) => r.seq)).toEqual([...log.map((r) => r.seq)].sort((a, b) => a - b));
    expect(log[2]!.at).toBe('2026-03-02T16:01:00.000Z');
    expect(armSim.requests()).toHaveLength(1);
    expect(sim.requests({ service: 'fortiflex' })).toHaveLength(2);
    expect(JSON.stringify(log)).not.toContain(token);
  });

  it('serves the default seed: VMs tagged with the serials of the branch and lab entitlements', async () => {
    sim = await startSimulator({ arm: true });
    const tagged = sim.arm!.machines().filter((m) => m.tags['fortiflex-serial']);
    const serials = new Set(
      sim
        .entitlements()
        .filter((e) => e.configId !== 2200 && e.status !== 'EXPIRED')
        .map((e) => e.serialNumber),
    );
    expect(new Set(tagged.map((m) => m.tags['fortiflex-serial']))).toEqual(serials);
    for (const vm of tagged) {
      const entitlement = sim.entitlements().find((e) => e.serialNumber === vm.tags['fortiflex-serial'])!;
      expect(vm.powerState).toBe(entitlement.status === 'ACTIVE' ? 'running' : 'deallocated');
    }
    expect(sim.arm!.machines().filter((m) => m.kind === 'uniformInstance')).toHaveLength(4);
  });
});

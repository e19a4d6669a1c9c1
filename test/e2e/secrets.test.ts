/**
 * Credentials never leak: with distinctive fake credentials read from the environment (the production
 * wiring), runs that succeed, hit "Invalid security token.", fail to log in and fail per entitlement must not
 * show the username, the password or the storage key in any captured log line (the invocation's and the
 * console), HTTP body, run summary, record or audit row; nor may a refused configuration echo them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { createAppDependencies, getAppDependencies, type AppDependencies } from '../../src/app/dependencies';
import { createReconcileHandler } from '../../src/functions/reconcile';
import { createRunNowHandler } from '../../src/functions/run-now';
import { createStatusHandler } from '../../src/functions/status';
import { defaultSeed, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { createContext, createHttpRequest, createTimer } from '../support/functions';
import { BRANCH_POLICY, FRIDAY_EVENING, MONDAY_MORNING, RATES, uniquePrefix } from './harness';

const USERNAME = 'FFAPI-7C1E9D3A-UNMISTAKABLE-USER';
const PASSWORD = 'pw-Zq9x7!never-log-this-value';

describe('secrets stay out of logs, responses, summaries and the audit', () => {
  let sim: SimulatorHandle;
  let deps: AppDependencies;
  let wrongPassword: AppDependencies;
  const connectionString = inject('azuriteConnectionString');
  const accountKey = /AccountKey=([^;]+)/.exec(connectionString)![1]!;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: {
        ...defaultSeed(),
        rates: RATES,
        now: FRIDAY_EVENING,
        users: [{ username: USERNAME, password: PASSWORD }],
      },
    });
    const env = {
      AzureWebJobsStorage: connectionString,
      FORTIFLEX_API_URL: sim.apiUrl,
      FORTIFLEX_AUTH_URL: sim.authUrl,
      FORTIFLEX_ACCESS_USERNAME: USERNAME,
      FORTIFLEX_ACCESS_PASSWORD: PASSWORD,
      SCALER_POLICY: BRANCH_POLICY,
    };
    const prefix = uniquePrefix('s');
    deps = await createAppDependencies({ env, storePrefix: prefix, now: () => sim.clock.now() });
    wrongPassword = await createAppDependencies({
      env: { ...env, FORTIFLEX_ACCESS_PASSWORD: `${PASSWORD}-but-wrong` },
      storePrefix: prefix,
      now: () => sim.clock.now(),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });
  // Whatever reaches the console (an SDK or the client logging on its own) is checked too.
  const consoleLines: string[] = [];
  beforeAll(() => {
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map(String).join(' '));
      });
    }
  });
  afterEach(() => {
    consoleLines.length = 0;
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('never shows the credentials or the storage key', async () => {
    const captured: string[] = [];
    const timer = createReconcileHandler(async () => deps);
    const runNow = createRunNowHandler(async () => deps);
    const status = createStatusHandler(async () => deps);

    // A login that is refused: the run cannot list and must say so without the credentials.
    const refused = createContext('runNow');
    const refusedResponse = await createRunNowHandler(async () => wrongPassword)(
      createHttpRequest({ method: 'POST', path: '/api/run' }),
      refused.context,
    );
    captured.push(refused.text(), JSON.stringify(refusedResponse.jsonBody));
    expect(JSON.stringify(refusedResponse.jsonBody)).toMatch(/list/);

    // Token invalidated mid-run and one entitlement failing; the run still applies the rest.
    sim.faults.add({ endpoint: 'entitlements/stop', times: 1, fault: { kind: 'invalidToken' } });
    sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    const first = createContext('reconcile');
    await timer(createTimer(), first.context);
    captured.push(first.text());
    expect(first.text()).toMatch(/applied 11/);

    sim.clock.set(MONDAY_MORNING);
    const manual = createContext('runNow');
    const response = await runNow(createHttpRequest({ method: 'POST', path: '/api/run' }), manual.context);
    captured.push(manual.text(), JSON.stringify(response.jsonBody));
    expect(response.status).toBe(200);

    const report = createContext('status');
    const statusResponse = await status(createHttpRequest({ path: '/api/status' }), report.context);
    captured.push(report.text(), JSON.stringify(statusResponse.jsonBody));

    const audit = await deps.store.audit.query({ since: new Date('2026-10-01T00:00:00Z') });
    expect(audit.length).toBeGreaterThan(20);
    captured.push(JSON.stringify(audit), JSON.stringify(await deps.store.records.list()));

    // A configuration the app refuses (other settings bad, the secrets set): the log lists the problems only,
    // the answer gives a reason and the invocation id.
    const badEnv = {
      FORTIFLEX_ACCESS_USERNAME: USERNAME,
      FORTIFLEX_ACCESS_PASSWORD: PASSWORD,
      AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountKey=${accountKey}`,
      SCALER_DRY_RUN: 'sometimes',
    };
    const misconfigured = createContext('runNow');
    const refusedConfig = await createRunNowHandler(() => getAppDependencies(badEnv))(
      createHttpRequest({ method: 'POST', path: '/api/run' }),
      misconfigured.context,
    );
    expect(refusedConfig.status).toBe(500);
    expect(misconfigured.text()).toMatch(/SCALER_DRY_RUN: .*AzureWebJobsStorage: /);
    expect(refusedConfig.jsonBody).toEqual({
      error: 'internal error',
      invocationId: misconfigured.context.invocationId,
    });
    captured.push(misconfigured.text(), JSON.stringify(refusedConfig.jsonBody), ...consoleLines);

    const everything = captured.join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    // A leading fragment too: a value echoed in part (a truncated setting, say) is still a leak.
    for (const secret of [USERNAME, PASSWORD, accountKey]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(0, 12));
    }
    expect(everything).not.toMatch(/Bearer [A-Za-z0-9]/);
  });
});

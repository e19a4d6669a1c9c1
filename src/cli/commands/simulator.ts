/**
 * `fortiflex-scaler simulator [--port N] [--seed FILE] [--latency MS]`: runs the FortiFlex simulator and the
 * ARM simulator (HTTPS, its CA written to a temporary file for `NODE_EXTRA_CA_CERTS`) on 127.0.0.1 until
 * SIGINT or SIGTERM, printing the URLs and the simulator-only credentials to use.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseSeed, startSimulator, type SimulatorHandle, type SimulatorSeed } from '../../simulator';
import { printJson, UsageError, type CliIo } from '../io';
import { parseIntegerOption } from '../options';

/** Options as commander passes them. */
export interface SimulatorCommandOptions {
  port?: string;
  seed?: string;
  latency?: string;
  json?: boolean;
}

/** Reads and validates a JSON seed file; every problem is a {@link UsageError} naming the file and field. */
export async function loadSeedFile(file: string): Promise<SimulatorSeed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--seed ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--seed ${file}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  try {
    return parseSeed(value);
  } catch (error) {
    throw new UsageError(`--seed ${file}: ${(error as Error).message}`);
  }
}

/** Starts a simulator from CLI options and prints how to use it. The caller stops it. */
export async function startFromOptions(
  options: SimulatorCommandOptions,
  io: CliIo,
): Promise<SimulatorHandle> {
  const port = options.port === undefined ? 0 : parseIntegerOption('--port', options.port, { min: 0 });
  if (port > 65535) throw new UsageError(`--port: "${options.port}" is not a valid port; expected 0..65535`);
  const latencyMs =
    options.latency === undefined ? 0 : parseIntegerOption('--latency', options.latency, { min: 0 });
  const seed = options.seed === undefined ? undefined : await loadSeedFile(options.seed);
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator({ port, seed, latencyMs, arm: true });
  } catch (error) {
    const message = (error as Error).message;
    if (options.seed !== undefined && message.startsWith('seed'))
      throw new UsageError(`--seed ${options.seed}: ${message}`);
    throw error;
  }
  const arm = sim.arm!;
  const caDir = await mkdtemp(join(tmpdir(), 'fortiflex-simulator-'));
  const caFile = join(caDir, 'ca.pem');
  await writeFile(caFile, arm.caCertificate, { mode: 0o644 });
  const stopSimulators = sim.stop;
  sim.stop = () => stopSimulators().then(() => rm(caDir, { recursive: true, force: true }));
  const env = {
    FORTIFLEX_API_URL: sim.apiUrl,
    FORTIFLEX_AUTH_URL: sim.authUrl,
    FORTIFLEX_ACCESS_USERNAME: sim.credentials.username,
    FORTIFLEX_ACCESS_PASSWORD: sim.credentials.password,
    AZURE_RESOURCE_MANAGER_ENDPOINT: arm.endpoint,
    AZURE_RESOURCE_MANAGER_TOKEN: arm.token,
    NODE_EXTRA_CA_CERTS: caFile,
  };
  if (options.json) {
    printJson(io, {
      apiUrl: sim.apiUrl,
      authUrl: sim.authUrl,
      credentials: sim.credentials,
      arm: { endpoint: arm.endpoint, token: arm.token, caFile },
      clock: sim.clock.now(),
      env,
    });
  } else {
    io.stdout(
      [
        'FortiFlex and ARM simulators running (simulated clock, simulator-only credentials)',
        `  API URL:   ${sim.apiUrl}`,
        `  Auth URL:  ${sim.authUrl}`,
        `  Username:  ${sim.credentials.username}`,
        `  Password:  ${sim.credentials.password}`,
        `  ARM:       ${arm.endpoint} (HTTPS; CA in ${caFile})`,
        `  Clock:     ${sim.clock.now().toISOString()}`,
        '',
        'Environment for the scaler and the API commands (NODE_EXTRA_CA_CERTS must be set before Node starts):',
        ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
        '',
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  return sim;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** A registrar whose command runs until `waitForShutdown` resolves (injectable for tests). */
export function registerWith(waitForShutdown: (sim: SimulatorHandle) => Promise<void>) {
  return (program: Command, io: CliIo): void => {
    program
      .command('simulator')
      .description('run the FortiFlex and ARM simulators on 127.0.0.1 until Ctrl+C')
      .option('--port <n>', 'TCP port (0 = any free port)', '0')
      .option(
        '--seed <file>',
        'JSON seed file (programs, configs, entitlements); default: the built-in world',
      )
      .option('--latency <ms>', 'added latency per response in milliseconds')
      .option('--json', 'print the connection details as JSON')
      .action(async (options: SimulatorCommandOptions) => {
        const sim = await startFromOptions(options, io);
        try {
          await waitForShutdown(sim);
        } finally {
          await sim.stop();
          if (!options.json) io.stdout('Simulator stopped.\n');
        }
      });
  };
}

/** Registers `simulator`. */
export const register = registerWith(() => waitForSignal());

/**
 * One simulated FortiGate-VM: an HTTP(S) server on its own loopback address whose reachability follows a
 * lifecycle (boot, licence reboot, outages) and whose licence state follows the FortiFlex simulator.
 *
 * Time: reachability (boot delay, reboots, outages) and the login lockout run on the wall clock, in
 * milliseconds, because the clients under test use real sockets and real timeouts; the licence itself
 * (token activation, the entitlement turning ACTIVE, billing) happens in the FortiFlex simulator at its
 * simulated instant of the download. So a test can reboot a device in 200 ms of real time while the
 * simulated billing day stays where the test put it.
 *
 * Unreachable means the listener is closed (connection refused, every open connection destroyed), or for a
 * `blackhole` outage that requests are accepted and never answered.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { createLocalCa, issueServerCertificate, type KeyPair } from '../tls';
import { createApiHandler } from './api';
import { DeviceLicense } from './license';
import { Lockout } from './lockout';
import type {
  FortiGateFault,
  FortiGateFaultRule,
  FortiGateHandle,
  FortiGateLogEntry,
  FortiGateOptions,
  FortiGatePhase,
  UnreachableMode,
} from './types';

const DEFAULT_REBOOT_MS = 500;
type DownReason = 'boot' | 'reboot' | 'outage';

function checkMs(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${field}: ${value} is not valid; expected milliseconds >= 0`);
  return value;
}

/** Checks that `address` is an IPv4 loopback address other than the network and broadcast ones. */
export function checkLoopbackAddress(address: string, field: string): string {
  if (
    net.isIPv4(address) &&
    address.startsWith('127.') &&
    address !== '127.255.255.255' &&
    address !== '127.0.0.0'
  )
    return address;
  throw new Error(`${field}: "${address}" is not valid; expected an IPv4 loopback address such as 127.0.0.2`);
}

/** A free TCP port on `address`, found by listening on port 0 once. */
export async function freePort(address: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, address, () => resolve());
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** An evaluation serial: `FGVMEV` and 10 upper-case hex characters. */
const evaluationSerial = (): string => `FGVMEV${randomBytes(5).toString('hex').toUpperCase()}`;

/** A running simulated FortiGate; create with {@link SimFortiGate.start}. */
export class SimFortiGate implements FortiGateHandle {
  readonly url: string;
  readonly protocol: 'https' | 'http';
  private readonly server: http.Server;
  private readonly license: DeviceLicense;
  private readonly rebootMs: number;
  private readonly entries: FortiGateLogEntry[] = [];
  private readonly rules: { rule: FortiGateFaultRule; remaining: number }[] = [];
  private readonly down = new Set<DownReason>();
  private readonly sockets = new Set<net.Socket>();
  private readonly held = new Set<http.ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private outages = 0;
  private blackholes = 0;
  private stopped = false;
  private transition: Promise<void> = Promise.resolve();
  private keyPair: KeyPair | undefined;

  private constructor(
    readonly address: string,
    readonly port: number,
    private readonly options: FortiGateOptions,
    private readonly ca: KeyPair | undefined,
    keyPair: KeyPair | undefined,
  ) {
    this.protocol = options.protocol ?? 'https';
    this.keyPair = keyPair;
    this.url = `${this.protocol}://${address}:${port}`;
    this.rebootMs = checkMs(options.rebootMs ?? DEFAULT_REBOOT_MS, 'rebootMs');
    this.license = new DeviceLicense(
      options.evaluationSerial ?? evaluationSerial(),
      options.licensedSerial,
      options.whenEntitlementStopped ?? 'staysValid',
      options.whenEntitlementReactivated ?? 'restores',
    );
    const hostname = options.hostname ?? this.license.serial();
    const handler = createApiHandler({
      apiKey: options.apiKey,
      lockout: new Lockout(options.lockout),
      license: this.license,
      authority: options.authority,
      readOnly: options.readOnly ?? false,
      version: options.version ?? 'v7.4.5',
      build: options.build ?? 2702,
      hostname: () => hostname,
      takeFault: (path, when) => this.takeFault(path, when),
      unanswering: () => this.blackholes > 0 || this.license.pending(),
      hold: (res) => {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
      },
      log: (entry) => this.entries.push(entry),
      licenseAccepted: () => void this.rebootFor(this.rebootMs),
      latencyMs: checkMs(options.latencyMs ?? 0, 'latencyMs'),
    });
    this.server = keyPair ? https.createServer(keyPair, handler) : http.createServer(handler);
    // Raw sockets, TLS handshakes included, so going down can cut every one of them.
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a device; answers after `bootDelayMs`. Rejects when the address or port cannot be bound. */
  static async start(options: FortiGateOptions): Promise<SimFortiGate> {
    const address = checkLoopbackAddress(options.address, 'address');
    if (typeof options.apiKey !== 'string' || options.apiKey === '')
      throw new Error('apiKey: expected a non-empty REST API key');
    const protocol = options.protocol ?? 'https';
    if (protocol !== 'https' && protocol !== 'http')
      throw new Error(`protocol: "${String(protocol)}" is not valid; expected "https" or "http"`);
    const bootDelayMs = checkMs(options.bootDelayMs ?? 0, 'bootDelayMs');
    let ca: KeyPair | undefined;
    let keyPair: KeyPair | undefined;
    if (protocol === 'https') {
      ca = options.ca ?? (await createLocalCa('FortiGate simulator CA'));
      keyPair = await issueServerCertificate(ca, [address]);
    }
    const port = options.port || (await freePort(address));
    const device = new SimFortiGate(address, port, options, ca, keyPair);
    if (bootDelayMs > 0) {
      device.down.add('boot');
      device.after(bootDelayMs, () => device.up('boot'));
    }
    try {
      await device.sync();
    } catch (error) {
      await device.stop();
      throw error;
    }
    for (const [i, outage] of (options.outages ?? []).entries()) {
      const at = checkMs(outage.afterMs, `outages[${i}].afterMs`);
      const forMs = checkMs(outage.forMs, `outages[${i}].forMs`);
      device.after(at, () => device.outage(forMs, outage.mode));
    }
    return device;
  }

  serial(): string {
    return this.license.serial();
  }

  licensedSerial(): string | undefined {
    return this.license.licensedSerial();
  }

  phase(): FortiGatePhase {
    if (this.stopped) return 'stopped';
    if (this.down.has('reboot')) return 'rebooting';
    if (this.down.has('boot')) return 'booting';
    if (this.down.has('outage') || this.blackholes > 0) return 'outage';
    return 'running';
  }

  certificate(): { pem: string; fingerprint: string } | undefined {
    if (!this.keyPair) return undefined;
    return { pem: this.keyPair.cert, fingerprint: new X509Certificate(this.keyPair.cert).fingerprint256 };
  }

  whenReachable(): Promise<void> {
    if (this.phase() === 'running' && this.server.listening) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`FortiGate ${this.address} is stopped`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  outage(forMs: number, mode: UnreachableMode = 'refuse'): void {
    checkMs(forMs, 'outage.forMs');
    if (mode !== 'refuse' && mode !== 'blackhole')
      throw new Error(`outage.mode: "${String(mode)}" is not valid; expected "refuse" or "blackhole"`);
    if (this.stopped) return;
    if (mode === 'blackhole') {
      this.blackholes += 1;
      this.after(forMs, () => {
        this.blackholes -= 1;
        if (this.blackholes === 0) this.releaseHeld();
        this.wake();
      });
      return;
    }
    this.outages += 1;
    this.down.add('outage');
    void this.syncLogged();
    this.after(forMs, () => {
      this.outages -= 1;
      if (this.outages === 0) this.up('outage');
    });
  }

  reboot(forMs = this.rebootMs): Promise<void> {
    return this.rebootFor(checkMs(forMs, 'reboot.forMs'));
  }

  async regenerateCertificate(): Promise<void> {
    if (!this.ca) return;
    this.keyPair = await issueServerCertificate(this.ca, [this.address]);
    (this.server as https.Server).setSecureContext(this.keyPair);
    this.event('certificateRegenerated');
  }

  readonly faults = {
    add: (rule: FortiGateFaultRule): void => {
      const times = rule.times ?? 1;
      if (typeof rule.path !== 'string' || rule.path.trim() === '')
        throw new Error('fault.path: expected a path such as "system/status" or "*"');
      if (!(times === Infinity || (Number.isInteger(times) && times > 0)))
        throw new Error('fault.times: expected a positive integer or Infinity');
      if (rule.when !== undefined && rule.when !== 'before' && rule.when !== 'after')
        throw new Error('fault.when: expected "before" or "after"');
      const path = rule.path.trim().replace(/^\/?(api\/v2\/monitor\/)?|\/+$/g, '');
      this.rules.push({ rule: { ...rule, path }, remaining: times });
    },
    clear: (): void => {
      this.rules.length = 0;
    },
  };

  log(): FortiGateLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.transition.catch(() => undefined);
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters) waiter.reject(new Error(`FortiGate ${this.address} is stopped`));
    this.waiters = [];
    await this.sync().catch(() => undefined);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  /** Goes down for `ms`; a token accepted before takes effect now, with a new certificate if configured. */
  private async rebootFor(ms: number): Promise<void> {
    if (this.stopped) return;
    this.down.add('reboot');
    await this.syncLogged();
    const serial = this.license.boot();
    let regenerated: Promise<void> = Promise.resolve();
    if (serial !== undefined) {
      this.event('licensed', serial);
      if (this.options.regenerateCertificateOnLicense) regenerated = this.regenerateCertificate();
    }
    this.after(ms, () => void regenerated.finally(() => this.up('reboot')));
  }

  private up(reason: DownReason): void {
    this.down.delete(reason);
    void this.syncLogged();
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private syncLogged(): Promise<void> {
    return this.sync().catch((error: unknown) =>
      this.event('down', `listen failed (${(error as NodeJS.ErrnoException).code ?? 'error'})`),
    );
  }

  /** Makes the listener match the state: listening when nothing holds the device down. Serialized. */
  private sync(): Promise<void> {
    const step = async (): Promise<void> => {
      const listen = !this.stopped && this.down.size === 0;
      if (listen && !this.server.listening) {
        await new Promise<void>((resolve, reject) => {
          this.server.once('error', reject);
          this.server.listen(this.port, this.address, () => {
            this.server.off('error', reject);
            resolve();
          });
        });
        this.event('up');
        this.wake();
      } else if (!listen && this.server.listening) {
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.releaseHeld();
        for (const socket of this.sockets) socket.destroy();
        await closed;
        this.event('down', this.stopped ? 'stop' : [...this.down].join(','));
      }
    };
    this.transition = this.transition.catch(() => undefined).then(step);
    return this.transition;
  }

  private wake(): void {
    if (this.phase() !== 'running' || !this.server.listening) return;
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }

  private releaseHeld(): void {
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  private takeFault(path: string, when: 'before' | 'after'): FortiGateFault | undefined {
    const index = this.rules.findIndex(
      ({ rule }) => (rule.path === '*' || rule.path === path) && (rule.when ?? 'before') === when,
    );
    if (index < 0) return undefined;
    const active = this.rules[index]!;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules.splice(index, 1);
    return active.rule.fault;
  }

  private event(event: 'up' | 'down' | 'licensed' | 'certificateRegenerated', detail?: string): void {
    this.entries.push(
      detail === undefined
        ? { kind: 'event', at: new Date(), event }
        : { kind: 'event', at: new Date(), event, detail },
    );
  }
}

/**
 * The FortiOS REST subset one simulated FortiGate answers:
 *
 * - `GET /api/v2/monitor/system/status`: `serial`, `version`, `build`, `results.hostname`, `results.model`.
 * - `GET /api/v2/monitor/license/status`: `results.vm` (`valid`, `status`, …).
 * - `POST /api/v2/monitor/system/vmlicense/download`: token from the JSON body `{"token": …}` or, as Fortinet
 *   documents it, the `token` query parameter. FortiCare (the FortiFlex simulator) decides; on success the
 *   answer is sent and then the device reboots.
 *
 * Authentication: `Authorization: Bearer <API key>` only; a key in `?access_token=` is refused with 401, as
 * FortiOS 7.4.5 and later do by default. Failed authentications count toward the per-source lockout (429).
 * Error answers are FortiOS envelopes with `status: "error"` and `http_status`. Assumed texts (FortiOS does
 * not document them): "License Token is already used" (known from Fortinet's code) for a reused token,
 * "License Token is invalid" for an unknown one, "License Token is invalid: entitlement is STOPPED" (or
 * EXPIRED) for a token whose entitlement gives no licence, all HTTP 500.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceLicense } from './license';
import type { Lockout } from './lockout';
import type { FortiGateFault, FortiGateLogEntry, LicenseAuthority } from './types';

const MONITOR_PREFIX = '/api/v2/monitor/';
const MAX_BODY_BYTES = 64 * 1024;

/** What the handler needs from its device. */
export interface ApiDeps {
  apiKey: string;
  lockout: Lockout;
  license: DeviceLicense;
  authority: LicenseAuthority | undefined;
  readOnly: boolean;
  version: string;
  build: number;
  hostname(): string;
  /** The fault for a request to `path` (relative to the monitor prefix) at stage `when`, consumed, if any. */
  takeFault(path: string, when: 'before' | 'after'): FortiGateFault | undefined;
  /** True while the device swallows requests (a black-hole outage) or is about to go down. */
  unanswering(): boolean;
  /** Keeps a response open until the device ends it (black hole, `hang` fault). */
  hold(res: ServerResponse): void;
  log(entry: FortiGateLogEntry): void;
  /** A token was accepted; called once the answer has been sent (or the client has gone). */
  licenseAccepted(): void;
  /** Wall-clock milliseconds to wait before handling a request (simulated network and API latency). */
  latencyMs: number;
}

interface Answer {
  status: number;
  body: unknown;
  outcome?: string;
  tokenFrom?: 'body' | 'query';
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

function sameKey(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Creates the request handler of one device. */
export function createApiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const meta = (method: string, path: string): Record<string, unknown> => {
    const parts = path.split('/');
    return {
      http_method: method,
      vdom: 'root',
      path: parts[0] ?? '',
      name: parts[1] ?? '',
      action: parts.slice(2).join('/'),
      serial: deps.license.serial(),
      version: deps.version,
      build: deps.build,
    };
  };
  const success = (method: string, path: string, extra: Record<string, unknown>): Answer => ({
    status: 200,
    body: { ...meta(method, path), ...extra, status: 'success', http_status: 200 },
  });
  const failure = (
    method: string,
    path: string,
    status: number,
    outcome: string,
    extra: Record<string, unknown> = {},
  ): Answer => ({
    status,
    outcome,
    body: { ...meta(method, path), ...extra, status: 'error', http_status: status },
  });

  const download = (method: string, path: string, url: URL, text: string): Answer => {
    if (deps.readOnly) return failure(method, path, 403, 'forbidden');
    let token = url.searchParams.get('token') ?? undefined;
    let tokenFrom: 'body' | 'query' = 'query';
    if (text.trim() !== '') {
      try {
        const body = JSON.parse(text) as { token?: unknown };
        if (typeof body?.token === 'string') {
          token = body.token;
          tokenFrom = 'body';
        }
      } catch {
        return failure(method, path, 400, 'badRequest', { error: -1, cli_error: 'Invalid JSON body' });
      }
    }
    if (!token)
      return failure(method, path, 400, 'badRequest', { error: -1, cli_error: 'token is required' });
    if (!deps.authority)
      return failure(method, path, 500, 'forticareUnreachable', {
        error: -1,
        cli_error: 'Failed to connect to FortiCare',
      });
    const activation = deps.authority.activateToken(token);
    if (activation.ok) {
      deps.license.accept(activation.serialNumber);
      return { ...success(method, path, { results: {} }), outcome: 'accepted', tokenFrom };
    }
    const [outcome, cliError] =
      activation.reason === 'notActive'
        ? ['tokenNotActive', `License Token is invalid: entitlement is ${activation.status}`]
        : activation.reason === 'used'
          ? ['alreadyUsed', 'License Token is already used']
          : ['tokenInvalid', 'License Token is invalid'];
    return { ...failure(method, path, 500, outcome, { error: -1, cli_error: cliError }), tokenFrom };
  };

  const route = (method: string, path: string, url: URL, text: string): Answer => {
    if (path === 'system/status' || path === 'license/status') {
      if (method !== 'GET') return failure(method, path, 405, 'methodNotAllowed');
      if (path === 'system/status') {
        return success(method, path, {
          results: {
            model_name: 'FortiGate',
            model_number: 'VM64',
            model: 'FGVM64',
            hostname: deps.hostname(),
            log_disk_status: 'available',
          },
        });
      }
      const vm = deps.license.view(deps.authority);
      return success(method, path, {
        results: {
          vm: {
            type: 'platform',
            valid: vm.valid,
            status: vm.status,
            license_platform_name: vm.licensed ? 'FGVM02' : 'FGVMEV',
            license_source: vm.licensed ? 'FortiFlex' : '',
            license_from_forticare: vm.licensed,
            is_payg: false,
          },
          forticare: { status: vm.licensed ? 'registered' : 'unregistered' },
        },
      });
    }
    if (path === 'system/vmlicense/download') {
      if (method !== 'POST') return failure(method, path, 405, 'methodNotAllowed');
      return download(method, path, url, text);
    }
    return failure(method, path, 404, 'notFound');
  };

  const send = (req: IncomingMessage, res: ServerResponse, path: string, answer: Answer): void => {
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    deps.log({
      kind: 'request',
      at: new Date(),
      method: req.method ?? '',
      path: `${MONITOR_PREFIX}${path}`,
      source: req.socket.remoteAddress ?? '',
      status: answer.status,
      ...(answer.outcome === undefined ? {} : { outcome: answer.outcome }),
      ...(answer.tokenFrom === undefined ? {} : { tokenFrom: answer.tokenFrom }),
    });
  };

  const fault = (req: IncomingMessage, res: ServerResponse, path: string, f: FortiGateFault): void => {
    const entry = (status: number): void =>
      deps.log({
        kind: 'request',
        at: new Date(),
        method: req.method ?? '',
        path: `${MONITOR_PREFIX}${path}`,
        source: req.socket.remoteAddress ?? '',
        status,
        outcome: `fault:${f.kind}`,
      });
    switch (f.kind) {
      case 'http': {
        const text = f.body === undefined ? `<html><body>${f.status}</body></html>` : JSON.stringify(f.body);
        res.writeHead(f.status, {
          'content-type': f.body === undefined ? 'text/html' : 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return entry(f.status);
      }
      case 'malformed': {
        const text = '{"http_method":"GET","results":{';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return entry(200);
      }
      case 'reset':
        req.socket.destroy();
        return entry(0);
      case 'hang':
        deps.hold(res);
        return entry(0);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fortigate');
    const path = url.pathname.startsWith(MONITOR_PREFIX)
      ? url.pathname.slice(MONITOR_PREFIX.length).replace(/\/+$/, '')
      : url.pathname.replace(/^\/+/, '');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    if (deps.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, deps.latencyMs));
    if (deps.unanswering()) {
      deps.hold(res);
      return;
    }
    const before = deps.takeFault(path, 'before');
    if (before) return fault(req, res, path, before);
    const source = req.socket.remoteAddress ?? '';
    if (deps.lockout.isLocked(source)) return send(req, res, path, failure(method, path, 429, 'locked'));
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!sameKey(bearer, deps.apiKey)) {
      deps.lockout.fail(source);
      return send(req, res, path, failure(method, path, 401, 'unauthorized'));
    }
    deps.lockout.succeed(source);
    if (text === undefined) return send(req, res, path, failure(method, path, 413, 'tooLarge'));
    const answer = route(method, path, url, text);
    const after = deps.takeFault(path, 'after');
    if (answer.outcome === 'accepted') {
      // The unit reboots once the answer is out, or at once when the client hung up or the answer is held.
      let rebooting = false;
      const reboot = (): void => {
        if (!rebooting) deps.licenseAccepted();
        rebooting = true;
      };
      res.once('close', reboot);
      if (after?.kind === 'hang') setImmediate(reboot);
    }
    // An `after` fault: the request took effect, and the fault replaces its answer (a lost reply).
    if (after) return fault(req, res, path, after);
    send(req, res, path, answer);
  };

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"status":"error","http_status":500}');
      }
    });
  };
}

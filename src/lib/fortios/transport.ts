/**
 * One HTTP exchange with a FortiGate over a connection of its own. The TLS handshake is completed and the
 * certificate checked *before* the request is written, so a FortiGate presenting the wrong certificate never
 * sees the API key: the client opens the socket itself (`tls.connect`), checks the pin, and only then hands
 * the socket to `http.request`. No keep-alive: licensing makes a handful of calls per device, and a fresh
 * connection per call means every call is checked against the pin in force.
 *
 * Failures become {@link FortiOsError}s with codes `unreachable`, `aborted`, `certificateMismatch`,
 * `certificateUntrusted` or `badResponse`; HTTP statuses are left to the caller.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { peerFingerprint } from './certificates';
import { FortiOsError, safeCause, type FortiOsErrorCode } from './errors';

/** Largest answer read; FortiOS monitor answers are a few kilobytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** Where to connect. */
export interface Target {
  address: string;
  port: number;
  protocol: 'https' | 'http';
}

/**
 * The certificate check of one exchange: `pin` refuses any certificate but `fingerprint` (accepts and reports
 * any when it is undefined), `observe` accepts and reports any (re-pinning), `ca` verifies the chain and the
 * IP address against `ca`, `none` accepts any.
 */
export type CertificateCheck =
  | { kind: 'pin'; fingerprint: string | undefined }
  | { kind: 'observe' }
  | { kind: 'ca'; ca: string[] }
  | { kind: 'none' };

/** One request. */
export interface ExchangeRequest {
  /** Names the call in errors, e.g. `system/status`. */
  operation: string;
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/v2/monitor/system/status`. */
  path: string;
  headers: Record<string, string>;
  /** JSON text for POST. */
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Values to redact from any error text (API key, licence token). */
  secrets: readonly string[];
}

/** The answer. */
export interface Exchange {
  status: number;
  text: string;
  /** The certificate fingerprint seen (HTTPS only). */
  fingerprint?: string;
}

/** `address:port`, with brackets for IPv6. */
export function formatTarget(target: Pick<Target, 'address' | 'port'>): string {
  return net.isIPv6(target.address)
    ? `[${target.address}]:${target.port}`
    : `${target.address}:${target.port}`;
}

/** Error codes of a certificate that failed verification (OpenSSL's and Node's host check). */
const CERTIFICATE_CODE =
  /^(UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|INVALID_CA)/;
/** TLS or HTTP protocol failures: something answers, but not a FortiOS HTTPS service. */
const PROTOCOL_CODE = /^(EPROTO|ERR_SSL_|HPE_)/;

/** Maps a socket, TLS or parser error to a code and a one-line detail. */
function classify(error: unknown): { code: FortiOsErrorCode; detail: string; systemCode?: string } {
  const systemCode = (error as { code?: unknown }).code;
  const code = typeof systemCode === 'string' ? systemCode : undefined;
  if (code && CERTIFICATE_CODE.test(code))
    return { code: 'certificateUntrusted', detail: `certificate not trusted (${code})`, systemCode: code };
  if (code && PROTOCOL_CODE.test(code))
    return { code: 'badResponse', detail: `not an HTTP(S) answer (${code})`, systemCode: code };
  return { code: 'unreachable', detail: `connection failed (${code ?? 'error'})`, systemCode: code };
}

/**
 * Connects, checks the certificate, sends the request and reads the whole answer within `timeoutMs`.
 * Rejects with a {@link FortiOsError}; never with anything else.
 */
export function exchange(
  target: Target,
  check: CertificateCheck,
  request: ExchangeRequest,
): Promise<Exchange> {
  const where = formatTarget(target);
  return new Promise<Exchange>((resolve, reject) => {
    let socket: net.Socket | undefined;
    let requestSent = false;
    let fingerprint: string | undefined;
    let settled = false;

    const finish = (outcome: { error: FortiOsError } | { value: Exchange }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.value);
    };
    const fail = (
      code: FortiOsErrorCode,
      detail: string,
      extra: { systemCode?: string; expectedFingerprint?: string; cause?: Error } = {},
    ): void =>
      finish({
        error: new FortiOsError(code, request.operation, where, detail, {
          requestSent,
          observedFingerprint: fingerprint,
          ...extra,
        }),
      });
    const onError = (error: unknown): void => {
      const { code, detail, systemCode } = classify(error);
      fail(code, detail, { systemCode, cause: safeCause(error, request.secrets) });
    };
    const onAbort = (): void => fail('aborted', 'aborted by the caller');
    const timer = setTimeout(
      () => fail('unreachable', `no answer within ${request.timeoutMs} ms`, { systemCode: 'ETIMEDOUT' }),
      request.timeoutMs,
    );
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    const send = (connected: net.Socket): void => {
      const req = http.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        createConnection: () => connected,
      });
      req.on('error', onError);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail('badResponse', `answer larger than ${MAX_ANSWER_BYTES} bytes`);
          else chunks.push(chunk);
        });
        res.on('error', onError);
        res.on('end', () =>
          finish({
            value: { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), fingerprint },
          }),
        );
      });
      requestSent = true;
      req.end(request.body);
    };

    if (target.protocol === 'http') {
      socket = net.connect({ host: target.address, port: target.port });
      socket.once('connect', () => send(socket!));
    } else {
      const secure = tls.connect({
        host: target.address,
        port: target.port,
        rejectUnauthorized: check.kind === 'ca',
        ca: check.kind === 'ca' ? check.ca : undefined,
        minVersion: 'TLSv1.2',
      });
      socket = secure;
      secure.once('secureConnect', () => {
        fingerprint = peerFingerprint(secure);
        if (check.kind === 'pin' && check.fingerprint !== undefined && fingerprint !== check.fingerprint) {
          return fail(
            'certificateMismatch',
            `certificate ${fingerprint ?? 'missing'} is not the pinned ${check.fingerprint}`,
            { expectedFingerprint: check.fingerprint },
          );
        }
        send(secure);
      });
    }
    // Kept for the socket's whole life: errors after `finish` (on destroy) must not go unhandled.
    socket.on('error', onError);
  });
}

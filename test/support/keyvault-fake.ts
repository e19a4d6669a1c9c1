/**
 * A local Key Vault stand-in for tests: plain HTTP on 127.0.0.1 speaking just enough of the data plane for
 * `SecretClient.getSecret` — the bearer challenge (401 + WWW-Authenticate), GET /secrets/{name}/[version],
 * and the SecretNotFound error. Secrets can be set at any time to simulate rotation; requests are counted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running fake vault. */
export interface KeyVaultFake {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use with `allowInsecureConnection`). */
  url: string;
  /** The bearer token the fake accepts (what the stub credential must return). */
  token: string;
  /** Creates a new version of `name` (rotation). */
  setSecret(name: string, value: string): void;
  deleteSecret(name: string): void;
  /** GET /secrets requests per secret name, and in total (challenge round-trips included). */
  requests(name?: string): number;
  /** Requests answered 401 because they carried no or a wrong token. */
  challenges(): number;
  stop(): Promise<void>;
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** Starts the fake on a free loopback port. */
export async function startKeyVaultFake(options: { token?: string } = {}): Promise<KeyVaultFake> {
  const token = options.token ?? 'fake-vault-token';
  const secrets = new Map<string, { value: string; version: string; created: number }[]>();
  const counts = new Map<string, number>();
  let total = 0;
  let challenges = 0;
  let versionCounter = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/secrets\/([^/]+)\/?([^/]*)$/.exec(url.pathname);
    total += 1;
    if (!match || req.method !== 'GET' || !url.searchParams.get('api-version')) {
      return send(res, 400, { error: { code: 'BadParameter', message: 'unsupported request' } });
    }
    const name = decodeURIComponent(match[1]!);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (req.headers.authorization !== `Bearer ${token}`) {
      challenges += 1;
      return send(
        res,
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
        },
      );
    }
    const versions = secrets.get(name);
    const wanted = match[2] ? versions?.find((v) => v.version === match[2]) : versions?.at(-1);
    if (!wanted) {
      return send(res, 404, {
        error: {
          code: 'SecretNotFound',
          message: `A secret with (name/id) ${name} was not found in this key vault.`,
        },
      });
    }
    const base = `http://${req.headers.host}`;
    return send(res, 200, {
      value: wanted.value,
      id: `${base}/secrets/${name}/${wanted.version}`,
      attributes: {
        enabled: true,
        created: wanted.created,
        updated: wanted.created,
        recoveryLevel: 'Recoverable',
      },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    setSecret(name, value) {
      versionCounter += 1;
      const version = versionCounter.toString(16).padStart(32, '0');
      const list = secrets.get(name) ?? [];
      list.push({ value, version, created: Math.floor(Date.now() / 1000) });
      secrets.set(name, list);
    },
    deleteSecret(name) {
      secrets.delete(name);
    },
    requests: (name) => (name === undefined ? total : (counts.get(name) ?? 0)),
    challenges: () => challenges,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

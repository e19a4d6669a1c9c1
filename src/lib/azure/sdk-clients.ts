/**
 * Construction of the real SDK clients (`@azure/arm-compute` 24, `@azure/arm-network` 36), one pair per
 * subscription, with the settings every call here relies on: an explicit token scope (so a custom endpoint
 * never changes what a real credential is asked for), few or no pipeline retries (the default pipeline
 * sleeps through any Retry-After, 20 minutes included), an optional per-client CA for local HTTPS, and a
 * policy that remembers the poll interval Azure asks for on operation-status responses, which the SDK's
 * poller keeps to itself. The SDKs are loaded on first use.
 */
import type { TokenCredential } from '@azure/identity';
import type { ComputeManagementClient } from '@azure/arm-compute' with { 'resolution-mode': 'import' };
import type { NetworkManagementClient } from '@azure/arm-network' with { 'resolution-mode': 'import' };
import { ARM_TOKEN_SCOPE, parseArmEndpoint } from './credential';
import { retryAfterMsFromHeaders } from './errors';

/** How to reach ARM. */
export interface ArmConnectionOptions {
  /** The credential (see `createArmCredential`). */
  credential: TokenCredential;
  /** ARM endpoint; default `https://management.azure.com`. */
  endpoint?: string;
  /** Token scope; default `https://management.azure.com/.default`, whatever the endpoint. */
  tokenScope?: string;
  /**
   * PEM certificate(s) this client alone trusts, e.g. a local simulator's CA. It replaces the default CA list
   * for these clients, so use it only for local endpoints; production trusts the system store.
   */
  tlsCa?: string | string[];
  /** Pipeline retries for 408/429/5xx and network errors; default 0 (the caller reschedules instead). */
  maxRetries?: number;
}

const MAX_HINTS = 1000;

/** Poll intervals Azure asked for, by operation URL path, until the poll driver picks them up. */
export class PollHints {
  private readonly byPath = new Map<string, number>();

  /** Records the interval of a status-poll response. */
  record(url: string, delayMs: number): void {
    if (this.byPath.size >= MAX_HINTS) this.byPath.delete(this.byPath.keys().next().value as string);
    this.byPath.set(PollHints.key(url), delayMs);
  }

  /** The interval recorded for `url` (and forgets it), or undefined. */
  take(url: string): number | undefined {
    const key = PollHints.key(url);
    const value = this.byPath.get(key);
    this.byPath.delete(key);
    return value;
  }

  private static key(url: string): string {
    return new URL(url, 'https://placeholder.invalid').pathname.toLowerCase();
  }
}

/** The SDK clients of one connection, created per subscription on first use. */
export class SdkClients {
  readonly endpoint: string;
  readonly hints = new PollHints();
  private readonly compute = new Map<string, Promise<ComputeManagementClient>>();
  private readonly network = new Map<string, Promise<NetworkManagementClient>>();

  constructor(private readonly options: ArmConnectionOptions) {
    this.endpoint = parseArmEndpoint(options.endpoint);
    const retries = options.maxRetries ?? 0;
    if (!Number.isInteger(retries) || retries < 0) {
      throw new Error(`maxRetries: ${retries} is not valid; expected an integer >= 0`);
    }
  }

  private get common() {
    const ca = this.options.tlsCa;
    return {
      endpoint: this.endpoint,
      retryOptions: { maxRetries: this.options.maxRetries ?? 0 },
      ...(ca !== undefined && { tlsOptions: { ca } }),
    };
  }

  /** The compute client for a subscription. */
  computeFor(subscriptionId: string): Promise<ComputeManagementClient> {
    let client = this.compute.get(subscriptionId.toLowerCase());
    if (!client) {
      client = import('@azure/arm-compute').then(({ ComputeManagementClient }) => {
        const created = new ComputeManagementClient(this.options.credential, subscriptionId, {
          ...this.common,
          credentials: { scopes: [this.options.tokenScope ?? ARM_TOKEN_SCOPE] },
        });
        created.pipeline.addPolicy({
          name: 'fortiflexScalerPollHints',
          sendRequest: async (request, next) => {
            const response = await next(request);
            if (request.method === 'GET' && /\/operations\//i.test(request.url)) {
              const delay = retryAfterMsFromHeaders(response.headers);
              if (delay !== undefined) this.hints.record(request.url, delay);
            }
            return response;
          },
        });
        return created;
      });
      this.compute.set(subscriptionId.toLowerCase(), client);
    }
    return client;
  }

  /** The network client for a subscription. */
  networkFor(subscriptionId: string): Promise<NetworkManagementClient> {
    let client = this.network.get(subscriptionId.toLowerCase());
    if (!client) {
      client = import('@azure/arm-network').then(
        ({ NetworkManagementClient }) =>
          new NetworkManagementClient(this.options.credential, subscriptionId, {
            ...this.common,
            credentialScopes: [this.options.tokenScope ?? ARM_TOKEN_SCOPE],
          }),
      );
      this.network.set(subscriptionId.toLowerCase(), client);
    }
    return client;
  }
}

/**
 * Drains a paged SDK listing, checking `signal` between items: the SDKs pass the signal to the first page's
 * request only, not to the `nextLink` requests.
 */
export async function drain<T>(items: AsyncIterable<T>, signal: AbortSignal | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    signal?.throwIfAborted();
    out.push(item);
  }
  return out;
}

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** A CIDR range as ipaddr.js parses it. */
type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** How each special range ipaddr.js knows is named in a refusal. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  linkLocal: 'a link-local address (cloud metadata services live there)',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

const ONLY_PUBLIC = '; webhooks go to public addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS lists its network (an on-premises receiver)';

/** dns.lookup, or a test's stand-in. */
export type Resolve = typeof dns.lookup;

/**
 * Where client webhooks may go. A client's alert URL is typed by an operator from what the client
 * says, so it must not reach into the network the dialer runs in: loopback (the dialer's own API),
 * private and link-local addresses (the cloud metadata service at 169.254.169.254, a database's
 * admin port) and every other special range are refused, unless a network is listed in
 * WEBHOOK_ALLOW_PRIVATE_NETWORKS for an on-premises receiver. Only ipaddr.js's plain `unicast`
 * addresses are public. An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export class ReceiverAddresses {
  readonly #allowed: Network[];

  /** `allowedNetworks`: CIDR ranges or single addresses allowed although not public. */
  constructor(allowedNetworks: readonly string[] = []) {
    this.#allowed = allowedNetworks.map((n) => (n.includes('/') ? ipaddr.parseCIDR(n) : [ipaddr.parse(n), ipaddr.parse(n).kind() === 'ipv4' ? 32 : 128]));
  }

  /** Why a webhook must not be sent to this IP address, or undefined when it may. */
  refusal(address: string): string | undefined {
    const refused = this.#classify(address);
    return refused && `${refused.ip} is ${refused.kind}${ONLY_PUBLIC}`;
  }

  /** The address and what kind it is, when it is refused. */
  #classify(address: string): { ip: string; kind: string } | undefined {
    if (!ipaddr.isValid(address)) return { ip: `'${address}'`, kind: 'not an IP address' };
    const ip = ipaddr.process(address);
    const range = ip.range();
    if (range === 'unicast') return undefined;
    if (this.#allowed.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits))) return undefined;
    return { ip: ip.toString(), kind: RANGE_NAMES[range] ?? `a special-purpose address (${range})` };
  }

  /**
   * Why a URL's host is refused before any name is resolved: an IP literal, or `localhost`.
   * Other names are judged by what they resolve to, when the request connects.
   */
  hostRefusal(hostname: string): string | undefined {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host)) return this.refusal(host);
    // Always loopback (RFC 6761): said here rather than after a lookup, so `clients set` says it too.
    if (/(^|\.)localhost\.?$/i.test(host) && this.#classify('127.0.0.1')) return `${host} is a loopback name${ONLY_PUBLIC}`;
    return undefined;
  }

  /**
   * A `lookup` for node's net.connect: resolves the name and refuses the connection if any of its
   * addresses is refused, so the address checked is the address connected to — a name cannot
   * resolve to a public address for a check and to a private one for the connection.
   * `resolve` is dns.lookup; tests give their own.
   */
  lookup(resolve: Resolve = dns.lookup): net.LookupFunction {
    return (hostname, options, callback) => {
      resolve(hostname, options, (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
        if (error) return callback(error, address, family);
        const addresses = typeof address === 'string' ? [address] : address.map((a) => a.address);
        for (const each of addresses) {
          const refused = this.#classify(each);
          if (refused) return callback(new ReceiverRefused(`${hostname} resolves to ${refused.ip}, ${refused.kind}${ONLY_PUBLIC}`), address, family);
        }
        callback(null, address, family);
      });
    };
  }
}

/** A webhook refused by its receiver's address, before any connection was made. */
export class ReceiverRefused extends Error {
  override readonly name = 'ReceiverRefused';
}

export interface WebhookPost {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  addresses: ReceiverAddresses;
  /** The resolver behind the address check (dns.lookup; tests give their own). */
  resolve?: Resolve | undefined;
}

// Agents of their own, without keep-alive: every delivery connects anew through the address check,
// and never reuses a socket another part of the process opened without it.
const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

/**
 * POSTs a webhook body and resolves with the answer's status. The receiver's address is checked
 * before the connection: an IP literal here, a name in the connection's own lookup. A redirect is
 * an answer like any other (never followed): the signed body goes only where it was configured.
 * The answer's body is not read. Rejects with ReceiverRefused, a network error, or a TimeoutError
 * after `timeoutMs` for the whole exchange.
 */
export function postWebhook(post: WebhookPost): Promise<number> {
  const refusal = post.addresses.hostRefusal(post.url.hostname);
  if (refusal) return Promise.reject(new ReceiverRefused(refusal));
  const signal = AbortSignal.timeout(post.timeoutMs);
  const https_ = post.url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (https_ ? https : http).request(post.url, {
      method: 'POST',
      headers: { ...post.headers, 'Content-Length': String(Buffer.byteLength(post.body)) },
      agent: https_ ? agents.https : agents.http,
      lookup: post.addresses.lookup(post.resolve),
      signal,
    });
    request.once('response', (response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    request.once('error', (error) => reject(signal.aborted ? signal.reason : error));
    request.end(post.body);
  });
}

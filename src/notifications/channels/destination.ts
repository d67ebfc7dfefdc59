import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may be delivered. A recipient URL is chosen by any OPERATOR,
 * so without this an OPERATOR could make the server POST to itself, its
 * database or its cloud's metadata service (SSRF). Only globally routable
 * unicast addresses are allowed: ipaddr.js names every other range (loopback,
 * private, link-local, unique-local, multicast, unspecified, carrier-grade
 * NAT, 6to4, NAT64, reserved …), and IPv4-mapped IPv6 is judged as the IPv4
 * address it carries. WEBHOOK_ALLOW_HOSTS lists the exceptions: host names,
 * addresses or CIDR ranges a deployment delivers to inside its own network.
 */
export interface DestinationPolicy {
  /** Why `address` may not be reached, or null when it may. */
  refusal(hostname: string, address: string): string | null;
}

export class DestinationRefused extends Error {
  constructor(readonly reason: string) {
    super(`destination not allowed (${reason})`);
  }
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function destinationPolicy(allowHosts: readonly string[]): DestinationPolicy {
  const names = new Set<string>();
  const ranges: Range[] = [];
  for (const entry of allowHosts) {
    if (entry.includes('/')) ranges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const address = ipaddr.process(entry);
      ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else names.add(entry.toLowerCase());
  }
  return {
    refusal(hostname, address) {
      if (names.has(bare(hostname).toLowerCase())) return null;
      if (!ipaddr.isValid(address)) return 'not an IP address';
      const parsed = ipaddr.process(address);
      if (ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits))) return null;
      const range = parsed.range();
      return range === 'unicast' ? null : `${range} address`;
    },
  };
}

/** URL.hostname keeps an IPv6 literal's brackets; addresses do not have them. */
export function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Like dns.lookup with `all: true`; tests pass their own to play a rebinding DNS server. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true } satisfies LookupAllOptions, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/**
 * Checks every address a host name resolves to (or the literal address) and
 * throws DestinationRefused if any is not allowed: a name that resolves to one
 * public and one private address could be connected to either.
 */
export async function checkDestination(policy: DestinationPolicy, resolve: Resolve, hostname: string): Promise<LookupAddress[]> {
  const host = bare(hostname);
  const addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await resolve(host);
  if (addresses.length === 0) throw new DestinationRefused('no address');
  for (const { address } of addresses) {
    const reason = policy.refusal(host, address);
    if (reason !== null) throw new DestinationRefused(reason);
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP client: the address the socket really connects to
 * is checked at connect time, so a DNS answer that changed since the check
 * before sending (DNS rebinding) is refused too.
 */
export function guardedLookup(policy: DestinationPolicy, resolve: Resolve) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    checkDestination(policy, resolve, hostname).then(
      (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family)),
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };
}

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { validation } from '../domain/errors.js';

// Loopback, private, link-local, CGNAT, unspecified, multicast and reserved ranges, v4 and v6.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** True for an address a receiver on the public internet never has. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
    const v4 = address.slice(7);
    if (isIP(v4) === 4) return blocked.check(v4, 'ipv4');
  }
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The setting that would allow private addresses, named in refusals (webhooks and imports each have one). */
export type AllowPrivateSetting = 'WEBHOOK_ALLOW_PRIVATE' | 'IMPORT_ALLOW_PRIVATE';

/** Why a URL's host may not be connected to, when it is an address literal (no lookup happens then). */
export function refusedLiteral(hostname: string, allowPrivate: boolean, setting: AllowPrivateSetting = 'WEBHOOK_ALLOW_PRIVATE'): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(host) === 0 || !isPrivateAddress(host)) return undefined;
  return `${host} is a private address (${setting} is not set)`;
}

/**
 * Refuses a receiver URL that is not http(s), or whose host is a private address literal or
 * localhost (a name is checked again on the address it resolves to, at delivery time).
 */
export function checkReceiverUrl(url: string, allowPrivate: boolean, field: string): void {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw validation(`${field} must be an http or https URL.`, { field }, 'webhook_url_refused');
  if (allowPrivate) return;
  const host = target.hostname;
  if (host === 'localhost' || host.endsWith('.localhost') || refusedLiteral(host, false)) {
    throw validation(`${field} must not point at a private or loopback address (${host}); set WEBHOOK_ALLOW_PRIVATE=true to allow it.`, { field }, 'webhook_url_refused');
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private addresses: the check is on the address the
 * connection is made to, so a name that resolves differently the second time cannot slip past it.
 */
export function guardedLookup(allowPrivate: boolean, setting: AllowPrivateSetting = 'WEBHOOK_ALLOW_PRIVATE') {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${refused.address}, a private address (${setting} is not set)`);
        e.code = 'EPRIVATE';
        return callback(e, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

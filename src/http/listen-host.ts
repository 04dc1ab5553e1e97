/** Where the API listens, and whether that leaves it open to other machines. */
export interface ListenPlan {
  /** undefined: every interface (Node's default, IPv6 and IPv4). */
  host: string | undefined;
  /** Reachable from other machines with no key to stop anyone. */
  open: boolean;
  /** Bound to this machine only because no key protects the API. */
  loopbackByDefault: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * Safe by default: an API no key protects listens on 127.0.0.1 unless HOST says otherwise; one a
 * key protects listens everywhere, as before.
 */
export function planListen(configuredHost: string | undefined, keyRequired: boolean): ListenPlan {
  if (configuredHost !== undefined) {
    return { host: configuredHost, open: !keyRequired && !LOOPBACK.test(configuredHost), loopbackByDefault: false };
  }
  if (keyRequired) return { host: undefined, open: false, loopbackByDefault: false };
  return { host: '127.0.0.1', open: false, loopbackByDefault: true };
}

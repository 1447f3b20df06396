import dns from 'node:dns';
import type net from 'node:net';

export type ResolvedAddress = Readonly<{ address: string; family: 4 | 6 }>;

/** Name → addresses. Throws an error with a DNS `code` (ENOTFOUND, EAI_AGAIN, …) when it cannot. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The OS resolver, as every other connection of the app uses it (getaddrinfo: hosts file, VPN DNS). */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * The resolver as a `lookup` option for net, tls, http and ws, so every step of the doctor
 * reaches the address the DNS step found (and a simulated DNS failure fails them all alike).
 */
export function lookupFrom(resolver: Resolver): net.LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    resolver(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        const first = wanted[0];
        if (!first) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (options.all) callback(null, wanted.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  }) as net.LookupFunction;
}

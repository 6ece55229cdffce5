/**
 * The server-side request forgery guard of webhooks: in production a URL must be https and its
 * host must resolve to public addresses only (webhooks/address-guard.ts). Checked at registration
 * and at every connection (lookup() is the DNS lookup of the delivery's HTTP agent: the address
 * checked is the address connected to, so a name that changes after registration is caught).
 * WEBHOOK_ALLOW_INSECURE=true lifts both rules (development and tests: unsafe).
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { forbiddenAddress } from './address-guard';

export class RefusedUrl extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RefusedUrl';
  }
}

/** The host of a URL without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

export class UrlGuard {
  constructor(
    private readonly allowInsecure: boolean,
    private readonly resolve: (host: string) => Promise<string[]> = async (host) =>
      (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address),
  ) {}

  /** Throws RefusedUrl when `text` may not be a webhook's URL: not http(s), credentials, or (production) not https / an internal host. */
  async check(text: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new RefusedUrl('not an absolute URL');
    }
    if (url.protocol !== 'https:' && !(this.allowInsecure && url.protocol === 'http:'))
      throw new RefusedUrl(this.allowInsecure ? 'must be http or https' : 'must be https');
    if (url.username || url.password) throw new RefusedUrl('must not contain credentials');
    if (url.hash) throw new RefusedUrl('must not contain a fragment');
    if (!this.allowInsecure) await this.addressesOf(hostOf(url), true);
    return url;
  }

  /** The host's addresses, each checked; a name that does not resolve passes when `unresolvedPasses` (checked again at connection). */
  private async addressesOf(host: string, unresolvedPasses = false): Promise<string[]> {
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = await this.resolve(host);
      } catch (error) {
        if (unresolvedPasses) return [];
        throw new RefusedUrl(`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    for (const address of addresses) {
      const reason = forbiddenAddress(address);
      if (reason) throw new RefusedUrl(`${host} resolves to ${address}, a ${reason} address`);
    }
    return addresses;
  }

  /** Refuses a connection's target before it opens (an IP literal is never looked up, so it is judged here). */
  async checkConnection(url: URL): Promise<void> {
    if (url.protocol !== 'https:' && !this.allowInsecure) throw new RefusedUrl('must be https');
    if (!this.allowInsecure && isIP(hostOf(url))) await this.addressesOf(hostOf(url));
  }

  /** The DNS lookup of the delivery agent: resolves, then refuses any non-public address (unless insecure is allowed). */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const all = typeof options === 'object' && options !== null && options.all === true;
    const family = typeof options === 'object' && options !== null ? options.family : undefined;
    const answer = (addresses: string[]) => {
      const usable = addresses.filter((address) => !family || isIP(address) === family);
      if (usable.length === 0) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 4);
      if (all)
        return (callback as unknown as (error: null, entries: dns.LookupAddress[]) => void)(
          null,
          usable.map((address) => ({ address, family: isIP(address) })),
        );
      callback(null, usable[0]!, isIP(usable[0]!));
    };
    const resolving = this.allowInsecure ? this.resolve(hostname) : this.addressesOf(hostname);
    resolving.then(answer, (error: Error) => callback(Object.assign(error, { code: (error as NodeJS.ErrnoException).code ?? 'EREFUSED' }), '', 4));
  };
}

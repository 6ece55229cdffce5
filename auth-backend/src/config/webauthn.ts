/**
 * The WebAuthn relying party (passkeys/), read by loadConfig (config.ts): WEBAUTHN_RP_ID (default
 * PUBLIC_URL's host), WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS (default the origins of PUBLIC_URL and
 * APP_URL). A browser refuses an RP id that is not its page's host or a parent domain of it, so
 * every origin must be on the RP id: said at start-up, not at the first passkey.
 */
export interface WebAuthnConfig {
  /** A domain (no scheme, no port): what the passkeys are bound to. */
  readonly rpId: string;
  /** What the browser shows as the site's name when it asks for a passkey. */
  readonly rpName: string;
  /** The origins a page that calls the API may have (clientDataJSON's origin), exactly. */
  readonly origins: readonly string[];
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `host` may use passkeys of `rpId`: the same host, or a subdomain of it. */
const onRpId = (host: string, rpId: string) => host === rpId || host.endsWith(`.${rpId}`);

export function parseWebAuthn(
  env: { rpId: string | undefined; rpName: string; origins: readonly string[] },
  defaults: { publicUrl: string; appUrl: string },
  problems: string[],
): WebAuthnConfig {
  const rpId = (env.rpId ?? new URL(defaults.publicUrl).hostname).toLowerCase();
  const origins =
    env.origins.length > 0 ? env.origins.map((origin) => new URL(origin).origin) : [defaults.publicUrl, defaults.appUrl].map((url) => new URL(url).origin);
  if (!DOMAIN.test(rpId)) problems.push(`WEBAUTHN_RP_ID: "${rpId}" is not a domain name like example.com (no scheme, no port)`);
  else {
    for (const origin of origins) {
      const host = new URL(origin).hostname;
      if (!onRpId(host, rpId)) {
        problems.push(
          `WEBAUTHN_ORIGINS: the origin ${origin} is not on the RP id ${rpId} (its host must be ${rpId} or a subdomain of it)${env.origins.length === 0 ? ': set WEBAUTHN_ORIGINS or WEBAUTHN_RP_ID' : ''}`,
        );
      }
    }
  }
  return { rpId, rpName: env.rpName, origins: [...new Set(origins)] };
}

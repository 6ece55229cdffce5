/**
 * The WebAuthn relying party (passkeys/), read by loadConfig (config.ts): WEBAUTHN_RP_ID (default
 * PUBLIC_URL's host), WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS (default the origins of PUBLIC_URL and
 * APP_URL). A browser refuses an RP id that is not its page's host or a parent domain of it, so
 * an origin must be on the RP id: one set in WEBAUTHN_ORIGINS that is not stops the start-up (said
 * now, not at the first passkey); of the defaults, one that is not is left out (no browser would
 * use passkeys from it anyway, and an install whose APP_URL is on another domain still starts).
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
  // Only a value the operator wrote is judged: PUBLIC_URL's own host (even [::1]) never stops the start-up.
  if (env.rpId !== undefined && !DOMAIN.test(rpId)) problems.push(`WEBAUTHN_RP_ID: "${rpId}" is not a domain name like example.com (no scheme, no port)`);
  if (env.origins.length > 0) {
    for (const origin of env.origins) {
      if (!onRpId(new URL(origin).hostname, rpId))
        problems.push(`WEBAUTHN_ORIGINS: the origin ${origin} is not on the RP id ${rpId} (its host must be ${rpId} or a subdomain of it)`);
    }
    return { rpId, rpName: env.rpName, origins: [...new Set(env.origins.map((origin) => new URL(origin).origin))] };
  }
  const origins = [defaults.publicUrl, defaults.appUrl].map((url) => new URL(url).origin).filter((origin) => onRpId(new URL(origin).hostname, rpId));
  return { rpId, rpName: env.rpName, origins: [...new Set(origins)] };
}

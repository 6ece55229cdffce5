/**
 * Where a browser may be sent back after a sign-in: an absolute http(s) URL whose origin is
 * exactly one of REDIRECT_ALLOWLIST's. The URL is parsed once (WHATWG, as browsers parse it) and
 * the re-serialised form is what is stored and redirected to, so encoded, relative, backslash or
 * credential tricks either fail the origin check or are neutralised by the serialisation.
 */
export function allowedRedirect(value: string, origins: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  return origins.includes(url.origin) ? url.href : undefined;
}

/** `target` with one query parameter set (the code or the error of the sign-in). */
export function withParameter(target: string, name: 'code' | 'error', value: string): string {
  const url = new URL(target);
  url.searchParams.set(name, value);
  return url.href;
}

/**
 * The limits of RFC 5321 (section 4.5.3.1) and RFC 1035/1123 that a mail server would enforce
 * later: checked at the door, so that an address no mail can reach is never stored. zod's email
 * syntax check runs first; this adds what it leaves out.
 */
const LOCAL_PART_MAX = 64;
const LABEL_MAX = 63;
/** Letters, digits and hyphens, neither first nor last (RFC 1123 section 2.1). */
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** Why `address` (already trimmed and lower-cased) cannot be delivered to, or undefined. */
export function emailAddressProblem(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined; // the syntax check reports it
  const local = address.slice(0, at);
  const labels = address.slice(at + 1).split('.');
  if (Buffer.byteLength(local) > LOCAL_PART_MAX) return `must have at most ${LOCAL_PART_MAX} characters before the @`;
  if (labels.some((label) => Buffer.byteLength(label) > LABEL_MAX)) return `must have at most ${LABEL_MAX} characters in each part of the domain`;
  if (!labels.every((label) => LDH_LABEL.test(label))) return 'must have a domain whose parts are letters, digits and inner hyphens';
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'must have a domain that ends in a name, not a number';
  return undefined;
}

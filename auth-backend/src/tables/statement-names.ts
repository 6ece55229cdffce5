import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/**
 * A prepared-statement name for a composed statement's text: the same text (the same fragments, in
 * the same order, as a process always composes them) gets the same name, so each connection plans
 * it once; a different text can never reuse another's plan.
 */
export function namedFor(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `composed-${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    // A process composes a handful of texts; the bound keeps a mistake from growing without end.
    if (names.size < 1000) names.set(text, name);
  }
  return name;
}

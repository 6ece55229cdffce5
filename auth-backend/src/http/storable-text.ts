/**
 * Text PostgreSQL cannot store (a NUL) or that is not Unicode at all (a lone UTF-16 surrogate,
 * which JSON's \ud800 escape can smuggle in). Every request body is screened for both before its
 * schema runs (http/validate.ts), so every current and future field is covered, keys included.
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain a NUL character or a lone surrogate (text that is not valid Unicode)';

export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text);

/** The dotted paths of every string (value or key) in `input` that is not storable text; at most `max`. */
export function unstorableTextPaths(input: unknown, max = 10): string[] {
  const found: string[] = [];
  // Iterative, so that a deeply nested body cannot overflow the stack.
  const pending: Array<{ value: unknown; path: string[] }> = [{ value: input, path: [] }];
  while (pending.length > 0 && found.length < max) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (!isStorableText(value)) found.push(path.join('.') || '(body)');
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        const innerPath = [...path, isStorableText(key) ? key : JSON.stringify(key).slice(1, -1)];
        if (!isStorableText(key)) found.push(innerPath.join('.'));
        else pending.push({ value: inner, path: innerPath });
      }
    }
  }
  return found.slice(0, max);
}

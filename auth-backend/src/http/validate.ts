import type { z } from './zod';
import { AppError, type FieldError } from '../errors';
import { UNSTORABLE_TEXT_MESSAGE, unstorableTextPaths } from './storable-text';

/** Parses untrusted input with `schema`; a 400 AppError listing each bad field otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const unstorable = unstorableTextPaths(input);
  if (unstorable.length > 0) {
    const errors = unstorable.map((path) => ({ path, message: UNSTORABLE_TEXT_MESSAGE }));
    throw new AppError('validation_failed', 'The request body is invalid.', { errors });
  }
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return { path: path || issue.keys.join(','), message: `unknown field(s): ${issue.keys.join(', ')}` };
    return { path: path || '(body)', message: issue.message };
  });
  throw new AppError('validation_failed', 'The request body is invalid.', { errors });
}

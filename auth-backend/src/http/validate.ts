import type { z } from './zod';
import { AppError, type FieldError } from '../errors';

/** Parses untrusted input with `schema`; a 400 AppError listing each bad field otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return { path: path || issue.keys.join(','), message: `unknown field(s): ${issue.keys.join(', ')}` };
    return { path: path || '(body)', message: issue.message };
  });
  throw new AppError('validation_failed', 'The request body is invalid.', { errors });
}

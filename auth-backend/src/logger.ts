import pino, { type Logger } from 'pino';

/**
 * Secrets never reach a log line: request headers that carry credentials and any body
 * field that holds a password, token or hash are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.tokenHash',
];

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go; stdout by default (tests pass a stream to read them). */
  destination?: pino.DestinationStream;
}

/** The one logger of the process: JSON lines in UTC, pretty only when asked for. */
export function createLogger({ level, pretty, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'auth-backend', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (pretty && !destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'UTC:isoDateTime' } } });
  }
  // Asynchronous, but each line is written at once: a line held in a buffer (pino's minLength)
  // would hide "HTTP server listening" or a failure from `docker-compose logs` for a long time.
  return destination ? pino(options, destination) : pino(options, pino.destination({ sync: false }));
}

export type { Logger };

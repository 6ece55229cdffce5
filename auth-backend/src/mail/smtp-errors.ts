/** How the delivery worker treats a failed attempt (nodemailer errors carry `code` and, for SMTP replies, `responseCode`). */
export interface AttemptFailure {
  /** 5xx replies and malformed messages: retrying the same message will not help. */
  permanent: boolean;
  /** No SMTP reply at all (refused, timed out, DNS) or 421: the server is away, so the round stops. */
  serverDown: boolean;
  /** For mail_outbox.lastError and the log: the reply or error code, never the message itself. */
  reason: string;
}

const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE']);

export function classifyFailure(error: unknown): AttemptFailure {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    responseCode?: unknown;
    response?: unknown;
    message?: unknown;
  };
  const code = typeof fields.code === 'string' ? fields.code : 'ERROR';
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const text = typeof fields.response === 'string' ? fields.response : typeof fields.message === 'string' ? fields.message : String(error);
  const reason = `${code}${responseCode ? ` ${responseCode}` : ''}: ${text}`.replace(/\s+/g, ' ').slice(0, 500);
  if (responseCode !== undefined) return { permanent: responseCode >= 500, serverDown: responseCode === 421, reason };
  return { permanent: PERMANENT_CODES.has(code), serverDown: !PERMANENT_CODES.has(code), reason };
}

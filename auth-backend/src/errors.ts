/**
 * The one error type that services throw. Its `code` is stable and decides the HTTP status
 * (http/error-handler.ts); its `detail` is safe to show to the client.
 */
export const ERRORS = {
  validation_failed: { status: 400, title: 'Invalid request' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  weak_password: { status: 400, title: 'Password not allowed' },
  password_breached: { status: 400, title: 'Password found in a data breach' },
  invalid_webhook_url: { status: 400, title: 'Webhook URL not allowed' },
  bad_request: { status: 400, title: 'Bad request' },
  invalid_token: { status: 400, title: 'Invalid or expired token' },
  invalid_state: { status: 400, title: 'Invalid sign-in state' },
  /** 400 when confirming or removing a factor; 401 (extras.status) at POST /auth/mfa/verify. */
  invalid_code: { status: 400, title: 'Invalid code' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_refresh_token: { status: 401, title: 'Invalid refresh token' },
  invalid_exchange_code: { status: 401, title: 'Invalid exchange code' },
  invalid_mfa_token: { status: 401, title: 'Invalid or expired mfaToken' },
  /** 400 at registration; 401 (extras.status) for an assertion (a sign-in, a second factor). */
  invalid_passkey: { status: 400, title: 'Invalid passkey' },
  email_not_verified: { status: 403, title: 'Email not verified' },
  account_disabled: { status: 403, title: 'Account disabled' },
  forbidden: { status: 403, title: 'Forbidden' },
  mfa_required: { status: 403, title: 'Second factor required' },
  reauthentication_required: { status: 403, title: 'Reauthentication required' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email already registered' },
  no_password: { status: 409, title: 'No password' },
  last_sign_in_method: { status: 409, title: 'Last sign-in method' },
  mfa_already_enabled: { status: 409, title: 'Second factor already enabled' },
  mfa_not_pending: { status: 409, title: 'No second factor waiting for confirmation' },
  mfa_not_enabled: { status: 409, title: 'No second factor enabled' },
  no_passkey: { status: 409, title: 'No passkey' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  throttled: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  database_unavailable: { status: 503, title: 'Service unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** `status`: for the codes answered with two statuses by contract (invalid_code: 400, or 401 at verify; invalid_passkey likewise). */
    readonly extras: { errors?: FieldError[]; retryAfterSeconds?: number; headers?: Record<string, string>; status?: 401 } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  get status(): number {
    return this.extras.status ?? ERRORS[this.code].status;
  }
}

/** The caller gave up (its client disconnected) before queued work started: nobody to answer. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled: the client went away before the work started');
    this.name = 'CancelledError';
  }
}

/**
 * The audit log's vocabulary (docs/api.md, "Administration, audit log and metrics"): the
 * event types, and what a request tells about who made it. Written only by tables/audit-events.ts.
 */

/** Every event type of the contract; mfa.* and oidc.linked are emitted by the TOTP and OIDC features. */
export const AUDIT_EVENT_TYPES = [
  'user.registered',
  'user.login',
  'user.login_failed',
  'user.logout',
  'token.reuse_detected',
  'password.changed',
  'password.reset',
  'email.verified',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.failed',
  // Beyond the contract's list: new recovery codes replace the old ones (who did it, and when, matters to support).
  'mfa.recovery_codes_regenerated',
  'session.revoked',
  'oidc.linked',
  'user.deleted',
  'admin.user_updated',
  'admin.user_signed_out',
  'admin.mfa_reset',
  // v4, the service as an OpenID Provider: clients registered by administrators, and what users grant them.
  'oauth.client_created',
  'oauth.client_updated',
  'oauth.client_deleted',
  'oauth.client_secret_rotated',
  'oauth.consent_granted',
  'oauth.consent_revoked',
  'passkey.added',
  'passkey.removed',
  // A valid signature whose counter did not increase: a copy of the authenticator may be in use.
  'passkey.clone_suspected',
  // v4, webhooks (docs/webhooks.md): what administrators did to endpoints, and the service disabling one
  // (410 Gone, or failing for WEBHOOK_DISABLE_AFTER).
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.disabled',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who made a request, as the endpoint saw it; services pass it on and stay free of HTTP. */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** Plain facts only: never a secret, token, code, password or address. */
export type AuditData = Record<string, string | number | boolean | null | string[]>;

export interface AuditEventInput {
  type: AuditEventType;
  /** The account the event is about (null: a failed login naming no account). */
  userId: string | null;
  /** Who acted, when not the user themself (an administrator). */
  actorId?: string | null;
  meta?: RequestMeta;
  data?: AuditData;
}

export interface AuditEvent {
  id: string;
  type: AuditEventType;
  at: Date;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: AuditData;
}

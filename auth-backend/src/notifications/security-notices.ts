/**
 * Security notifications (docs/api.md, "Webhooks and security notifications"): mail through the
 * outbox, queued by the statement of the change itself, so a rolled-back change mails nothing.
 *
 * - a sign-in (any door) from a device this account has not used for 90 days (NOTIFY_NEW_SIGN_IN):
 *   an SQL reaction to user.login that records the device and, conditioned on its previous use,
 *   queues the notice, within the sign-in's own statement; the registration records its device;
 * - password changed: a reaction to password.changed (a reset has its own mail already);
 * - the daily login-failure cap reached: once per counting window (throttle/login-throttle.ts);
 * - email changed (to the old address), second factor and passkey added or removed: queued by
 *   their use cases (account/, mfa/, passkeys/), which know the addresses and names.
 */
import type { Clock } from '../clock';
import type { AuditLog } from '../audit/audit-log';
import type { AuditEvent } from '../domain/audit';
import type { Fragment } from '../db/statement';
import type { MailTemplates } from '../mail/templates';
import type { MailOutboxTable } from '../tables/mail-outbox';
import type { KnownDevicesTable } from '../tables/known-devices';
import { deviceLabel, deviceOf } from './device';

/** A device unused for this long is new again. */
export const DEVICE_MEMORY_DAYS = 90;

export interface SecurityNoticesDeps {
  outbox: MailOutboxTable;
  knownDevices: KnownDevicesTable;
  templates: MailTemplates;
  clock: Clock;
  /** NOTIFY_NEW_SIGN_IN. */
  newSignIn: boolean;
}

export class SecurityNotices {
  constructor(private readonly deps: SecurityNoticesDeps) {}

  /** Wires the SQL reactions into the audit log (once, by the composition root). */
  reactTo(audit: AuditLog): void {
    audit.react((event) => this.reaction(event));
  }

  /** The login throttle's daily cap was just reached for `email` (once per window): tell the account, if there is one. */
  async dailyCapReached(email: string): Promise<void> {
    const { outbox, templates, clock } = this.deps;
    await outbox.enqueueToAccount(email.trim().toLowerCase(), templates.loginFailureCap(), clock());
  }

  private reaction(event: AuditEvent): Fragment | undefined {
    const { userId } = event;
    if (!userId) return undefined;
    const { outbox, knownDevices, templates } = this.deps;
    if (event.type === 'password.changed') return (statement) => [outbox.enqueueingToAccount(statement, userId, templates.passwordChangedNotice(), event.at)];
    if (event.type !== 'user.login' && event.type !== 'user.registered') return undefined;
    const device = deviceLabel(deviceOf(event.userAgent));
    return (statement) => {
      const seen = knownDevices.seen(statement, userId, device, event.at);
      if (event.type === 'user.registered' || !this.deps.newSignIn) return seen;
      const since = statement.bind(new Date(event.at.getTime() - DEVICE_MEMORY_DAYS * 86_400_000));
      const notice = templates.newSignIn({ at: event.at, device, ip: event.ip });
      return [...seen, outbox.enqueueingToAccount(statement, userId, notice, event.at, knownDevices.unseenSince(since))];
    };
  }
}

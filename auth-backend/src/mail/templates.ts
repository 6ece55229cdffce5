/**
 * The messages the service sends: plain text, the product name, and for token mail one link
 * (APP_URL + path + ?token=). Rendered when the mail is queued; the token appears only here and
 * in the outbox row until delivery, never in a log line.
 */
import type { MailContent, MailKind } from '../tables/mail-outbox';

export interface TemplateSettings {
  productName: string;
  appUrl: string;
  passwordResetTtl: number;
  emailVerificationTtl: number;
}

function humanDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${name}${seconds / size === 1 ? '' : 's'}`;
  }
  return `${Math.round(seconds / 60)} minutes`;
}

export class MailTemplates {
  constructor(private readonly settings: TemplateSettings) {}

  private link(path: string, token: string): string {
    return `${this.settings.appUrl}${path}?token=${encodeURIComponent(token)}`;
  }

  private mail(kind: MailKind, subject: string, lines: string[]): MailContent {
    const text = `${['Hello,', '', ...lines, '', `-- ${this.settings.productName}`].join('\n')}\n`;
    return { kind, subject: `${subject} - ${this.settings.productName}`, text };
  }

  verifyEmail(token: string): MailContent {
    const { productName, emailVerificationTtl } = this.settings;
    return this.mail('verify-email', 'Verify your email address', [
      `Please confirm that this is the email address of your ${productName} account by opening this link:`,
      '',
      this.link('/verify-email', token),
      '',
      `The link expires in ${humanDuration(emailVerificationTtl)}. If you did not create an account, ignore this message.`,
    ]);
  }

  changeEmail(token: string): MailContent {
    const { productName, emailVerificationTtl } = this.settings;
    return this.mail('change-email', 'Confirm your new email address', [
      `Someone asked to make this the email address of a ${productName} account. To confirm, open this link:`,
      '',
      this.link('/verify-email', token),
      '',
      `The address changes only once you open it; the link expires in ${humanDuration(emailVerificationTtl)}. If this was not you, ignore this message.`,
    ]);
  }

  emailChangeNotice(newEmail: string): MailContent {
    return this.mail('email-change-notice', 'Your email address is being changed', [
      `Someone signed in to your ${this.settings.productName} account asked to change its email address to ${newEmail}.`,
      'The change takes effect once that address is confirmed.',
      '',
      'If this was not you, reset your password right away (that signs out every session) and contact support.',
    ]);
  }

  resetPassword(token: string): MailContent {
    const { productName, passwordResetTtl } = this.settings;
    return this.mail('reset-password', 'Reset your password', [
      `Someone asked to reset the password of your ${productName} account. To choose a new password, open this link:`,
      '',
      this.link('/reset-password', token),
      '',
      `The link works once and expires in ${humanDuration(passwordResetTtl)}; only the newest link works.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ]);
  }

  secondFactorEnabled(): MailContent {
    return this.mail('second-factor-enabled', 'Two-step verification is on', [
      `An authenticator app was just set up as a second factor for your ${this.settings.productName} account; every other session was signed out.`,
      'From now on, signing in asks for a code from that app (or one of your recovery codes).',
      '',
      'If this was not you, reset your password right away and contact support.',
    ]);
  }

  secondFactorDisabled(): MailContent {
    return this.mail('second-factor-disabled', 'Two-step verification is off', [
      `The second factor (authenticator app) of your ${this.settings.productName} account was just removed, with its recovery codes.`,
      'Signing in now asks for your password only.',
      '',
      'If this was not you, reset your password right away and contact support.',
    ]);
  }

  passkeyAdded(name: string): MailContent {
    return this.mail('passkey-added', 'A passkey was added to your account', [
      `A passkey named "${name}" was just added to your ${this.settings.productName} account: it can now sign in without your password.`,
      '',
      'If this was not you, remove it from your account right away, reset your password and contact support.',
    ]);
  }

  passkeyRemoved(name: string): MailContent {
    return this.mail('passkey-removed', 'A passkey was removed from your account', [
      `The passkey named "${name}" was just removed from your ${this.settings.productName} account: it no longer signs in.`,
      '',
      'If this was not you, reset your password right away and contact support.',
    ]);
  }

  passwordChanged(): MailContent {
    return this.mail('password-changed', 'Your password was changed', [
      `The password of your ${this.settings.productName} account was just reset, and every session was signed out.`,
      '',
      'If this was not you, reset your password again at once and contact support.',
    ]);
  }

  // v4, security notifications (notifications/security-notices.ts).

  newSignIn(sign: { at: Date; device: string; ip: string | null }): MailContent {
    return this.mail('new-sign-in', 'New sign-in to your account', [
      `Your ${this.settings.productName} account was just signed in to from a device it has not used recently:`,
      '',
      `  When:    ${sign.at.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      `  Device:  ${sign.device}`,
      `  Address: ${sign.ip ?? 'unknown'}`,
      '',
      'If this was you, there is nothing to do.',
      'If not, reset your password right away (that signs out every session) and contact support.',
    ]);
  }

  passwordChangedNotice(): MailContent {
    return this.mail('password-changed-notice', 'Your password was changed', [
      `The password of your ${this.settings.productName} account was just changed; every other session was signed out.`,
      '',
      'If this was not you, reset your password at once (POST /auth/password/forgot, or the "forgot password" link) and contact support.',
    ]);
  }

  emailChanged(newEmail: string): MailContent {
    return this.mail('email-changed', 'Your email address was changed', [
      `The email address of your ${this.settings.productName} account was just changed to ${newEmail}; mail about the account now goes there.`,
      '',
      'If this was not you, contact support right away: this address no longer receives password reset links.',
    ]);
  }

  loginFailureCap(): MailContent {
    return this.mail('login-failure-cap', 'Many failed sign-ins to your account', [
      `There were so many failed attempts to sign in to your ${this.settings.productName} account today that password sign-in is paused until tomorrow.`,
      'Someone may be guessing your password.',
      '',
      'If this was not you, consider resetting your password to a long, unique one and turning on two-step verification.',
    ]);
  }
}

/**
 * Where mail goes: SMTP when SMTP_URL is set; in development without it, .eml files under
 * MAIL_DIR (git-ignored); in production and test without it, nowhere yet: mail waits in the outbox.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/config';
import { appRoot } from '../paths';

export interface MailEnvelope {
  /** The outbox id; also the Message-ID, so a retried message is recognisably the same one. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  /** For log lines: never the SMTP password. */
  readonly description: string;
  /** Resolves once the message was accepted (SMTP 250) or written; rejects with nodemailer's error. */
  send(envelope: MailEnvelope): Promise<{ file?: string }>;
  close(): void;
}

// Bounded so that a hung server cannot hold a claimed message (and its row lock) for long.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

const messageId = (envelope: MailEnvelope) => `<${envelope.id}@${envelope.from.replace(/^.*@/, '').replace(/>.*$/, '') || 'localhost'}>`;

export function createMailTransport(config: Config): MailTransport | undefined {
  const { smtpUrl } = config.mail;
  if (smtpUrl) return smtpTransport(smtpUrl);
  if (config.env === 'development') return fileTransport(path.resolve(appRoot(), config.mail.dir));
  return undefined;
}

function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS });
  const parsed = new URL(url);
  return {
    description: `${parsed.protocol}//${parsed.hostname}:${parsed.port || (parsed.protocol === 'smtps:' ? 465 : 587)}`,
    async send(envelope) {
      await transporter.sendMail({ from: envelope.from, to: envelope.to, subject: envelope.subject, text: envelope.text, messageId: messageId(envelope) });
      return {};
    },
    close: () => transporter.close(),
  };
}

function fileTransport(dir: string): MailTransport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `files in ${dir}`,
    async send(envelope) {
      const info = await composer.sendMail({
        from: envelope.from,
        to: envelope.to,
        subject: envelope.subject,
        text: envelope.text,
        messageId: messageId(envelope),
      });
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${envelope.id}.eml`);
      // Written under another name, then renamed: a mail viewer watching the folder never opens half a message.
      const partial = `${file}.partial`;
      await fs.writeFile(partial, info.message as Buffer, { mode: 0o600 });
      await fs.rename(partial, file);
      return { file };
    },
    close: () => composer.close(),
  };
}

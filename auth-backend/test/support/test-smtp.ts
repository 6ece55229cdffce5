/**
 * A real SMTP server on loopback for the mail tests (smtp-server), keeping every message it
 * accepted (parsed with mailparser) and every attempt it refused. It can be stopped and started
 * again on the same port, to play an SMTP outage.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  messageId: string | undefined;
  /** The token of the link in the mail, if any. */
  token: string | undefined;
  link: string | undefined;
}

export interface TestSmtp {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** RCPT TO commands answered with a refusal. */
  refusals: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Resolves with the mails matching `match` once there are at least `count` of them. */
  waitFor(match: (mail: ReceivedMail) => boolean, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
}

/**
 * `refuse(address)`: an SMTP reply code to refuse that recipient with (e.g. 550), or undefined to accept.
 * `stall()`: awaited before a message's data is accepted (a slow mail server).
 */
export async function startTestSmtp(
  options: { port?: number; refuse?: (address: string) => number | undefined; stall?: () => Promise<void> } = {},
): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const refusals: string[] = [];
  let server: SMTPServer | undefined;
  let port = options.port ?? 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        closeTimeout: 200,
        onRcptTo(address, _session, callback) {
          const code = options.refuse?.(address.address);
          if (code === undefined) return callback();
          refusals.push(address.address);
          callback(Object.assign(new Error('Requested action not taken: mailbox unavailable'), { responseCode: code }));
        },
        onData(stream, _session, callback) {
          simpleParser(stream)
            .then(async (mail) => {
              await options.stall?.();
              const text = mail.text ?? '';
              const link = /(https?:\/\/\S+\?token=\S+)/.exec(text)?.[1];
              const to = Array.isArray(mail.to) ? mail.to[0]!.text : (mail.to?.text ?? '');
              received.push({
                to,
                subject: mail.subject ?? '',
                text,
                messageId: mail.messageId,
                link,
                token: link ? new URL(link).searchParams.get('token')! : undefined,
              });
              callback();
            })
            .catch(callback);
        },
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();

  const smtp: TestSmtp = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    refusals,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())).then(() => void (server = undefined)),
    start: listen,
    async waitFor(match, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.filter(match);
        if (found.length >= count) return found;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${count} mail(s); have ${found.length}: ${JSON.stringify(received.map((m) => [m.to, m.subject]))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  return smtp;
}

/** Resolves once `condition()` holds, polling. */
export async function eventually<T>(condition: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

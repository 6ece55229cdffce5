import request from 'supertest';
import { registerUser, uniqueEmail } from '../support/test-app';
import { createMailTestApp, type MailTestApp } from '../support/mail-app';
import { eventually, type ReceivedMail } from '../support/test-smtp';

const RESET = /Reset your password/;
const isReset = (mail: ReceivedMail) => RESET.test(mail.subject);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OutboxRow {
  status: string;
  attempts: number;
  lastError: string | null;
  textBody: string | null;
}
const outboxOf = (t: MailTestApp, recipient: string, kind: string) =>
  t.database.query<OutboxRow>(`SELECT status, attempts, "lastError", "textBody" FROM mail_outbox WHERE recipient = $1 AND kind = $2`, [recipient, kind]);

describe('mail delivery worker', () => {
  describe('while the SMTP server is down for a few seconds', () => {
    let t: MailTestApp;
    beforeAll(async () => {
      t = await createMailTestApp();
    });
    afterAll(() => t.close());

    it('answers 202 throughout and delivers every reset mail exactly once when the server is back', async () => {
      const users = await Promise.all(Array.from({ length: 5 }, () => registerUser(t.app)));
      await t.smtp.waitFor((mail) => users.some((user) => user.email === mail.to), users.length);

      await t.smtp.stop();
      for (const user of users) await request(t.app).post('/auth/password/forgot').send({ email: user.email }).expect(202);
      // Attempts fail and are rescheduled while the server is away.
      await eventually(async () => ((await outboxOf(t, users[0]!.email, 'reset-password'))[0]?.attempts ?? 0) >= 2);
      await sleep(1000);
      expect(t.smtp.received.filter(isReset)).toEqual([]);

      await t.smtp.start();
      const delivered = await t.smtp.waitFor(isReset, users.length);
      await sleep(1500); // room for a duplicate to show up
      expect(
        t.smtp.received
          .filter(isReset)
          .map((mail) => mail.to)
          .sort(),
      ).toEqual(users.map((user) => user.email).sort());
      expect(new Set(delivered.map((mail) => mail.messageId)).size).toBe(users.length);
      for (const user of users) {
        const [row] = await outboxOf(t, user.email, 'reset-password');
        expect(row).toMatchObject({ status: 'sent', lastError: null, textBody: null });
        expect(row!.attempts).toBeGreaterThan(1);
      }
      const retries = t.logs().filter((line) => line.event === 'mail.delivery' && line.outcome === 'retry');
      expect(retries.length).toBeGreaterThan(0);
      expect(retries[0]).toMatchObject({ kind: expect.any(String), attempt: expect.any(Number), reason: expect.stringMatching(/ECONNECTION|ECONNREFUSED/) });
    });
  });

  describe('when the SMTP server refuses', () => {
    let t: MailTestApp;
    const answers = new Map<string, number[]>();
    beforeAll(async () => {
      t = await createMailTestApp({ MAIL_MAX_ATTEMPTS: '3' }, { refuse: (address) => answers.get(address)?.shift() });
    });
    afterAll(() => t.close());

    it('records a permanent refusal (550) as failed after the bounded attempts, and stops trying', async () => {
      const email = uniqueEmail('refused');
      answers.set(email, [550, 550, 550, 550, 550, 550]);
      await registerUser(t.app, { email });
      const [row] = await eventually(async () => {
        const rows = await outboxOf(t, email, 'verify-email');
        return rows[0]?.status === 'failed' && rows;
      });
      expect(row).toMatchObject({ status: 'failed', attempts: 3, textBody: null, lastError: expect.stringContaining('550') });
      await sleep(1500);
      expect(t.smtp.refusals.filter((address) => address === email)).toHaveLength(3);
      expect((await outboxOf(t, email, 'verify-email'))[0]).toMatchObject({ status: 'failed', attempts: 3 });
      expect(t.logs()).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'mail.delivery', outcome: 'failed', attempt: 3 })]));
    });

    it('retries a temporary refusal (450) until the server accepts, then delivers once', async () => {
      const email = uniqueEmail('busy');
      answers.set(email, [450, 450]);
      await registerUser(t.app, { email });
      await t.smtp.waitFor((mail) => mail.to === email);
      await sleep(1000);
      expect(t.smtp.received.filter((mail) => mail.to === email)).toHaveLength(1);
      expect((await outboxOf(t, email, 'verify-email'))[0]).toMatchObject({ status: 'sent', attempts: 3 });
    });
  });
});

/**
 * Black-box: the built service (dist/entrypoint.js) as separate processes on one database, with a
 * real SMTP server on loopback.
 */
import request from 'supertest';
import { spawnService, type ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TEST_JWT_SECRET, TEST_PEPPER, uniqueEmail, STRONG_PASSWORD } from '../support/test-app';
import { FAST_MAIL_ENV } from '../support/mail-app';
import { startTestSmtp, type TestSmtp } from '../support/test-smtp';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isReset = (mail: { subject: string }) => /Reset your password/.test(mail.subject);

describe('mail delivery by the running service', () => {
  let db: TestDatabase;
  const running: ServiceProcess[] = [];
  const smtps: TestSmtp[] = [];
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: true });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
    await Promise.all(smtps.splice(0).map((smtp) => smtp.stop()));
    await db.drop();
  });

  async function start(smtpUrl: string): Promise<{ service: ServiceProcess; url: string }> {
    const service = spawnService({ ...FAST_MAIL_ENV, DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, PASSWORD_PEPPER: TEST_PEPPER, SMTP_URL: smtpUrl });
    running.push(service);
    const port = await service.waitForPort(60_000);
    await service.waitForLog(/mail delivery started/);
    return { service, url: `http://127.0.0.1:${port}` };
  }

  it('loses nothing when the service restarts between the request and the delivery', async () => {
    // A port with no SMTP server on it yet.
    const probe = await startTestSmtp();
    await probe.stop();
    const first = await start(probe.url);
    const email = uniqueEmail('restart');
    await request(first.url).post('/auth/register').send({ email, password: STRONG_PASSWORD }).expect(201);
    await request(first.url).post('/auth/password/forgot').send({ email }).expect(202);
    await first.service.waitForLog(/"kind":"reset-password","attempt":1,"outcome":"retry"/);
    expect(await first.service.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const smtp = await startTestSmtp({ port: probe.port });
    smtps.push(smtp);
    const second = await start(smtp.url);
    const [mail] = await smtp.waitFor(isReset);
    await sleep(1000);
    expect(smtp.received.filter(isReset)).toHaveLength(1);
    await request(second.url).post('/auth/password/reset').send({ token: mail!.token, newPassword: 'a brand new passphrase' }).expect(204);
    expect(first.service.output() + second.service.output()).not.toContain(mail!.token!);
  });

  it('sends 50 reset mails exactly once with two processes on one database', async () => {
    const smtp = await startTestSmtp();
    smtps.push(smtp);
    const emails = Array.from({ length: 50 }, () => uniqueEmail('pair'));
    // Accounts made directly: the test is about mail, not about 50 bcrypt hashes.
    await db.query(`INSERT INTO "user" (id, email, "passwordHash", "updatedAt") SELECT gen_random_uuid(), unnest($1::text[]), 'x', now()`, [emails]);
    const services = [await start(smtp.url), await start(smtp.url)];

    const ask = (email: string, index: number) =>
      request(services[index % 2]!.url)
        .post('/auth/password/forgot')
        .send({ email })
        .expect(202);
    for (let i = 0; i < emails.length; i += 10) await Promise.all(emails.slice(i, i + 10).map((email, j) => ask(email, i + j)));

    await smtp.waitFor(isReset, 50, 60_000);
    await sleep(2000);
    const recipients = smtp.received.filter(isReset).map((mail) => mail.to);
    expect(recipients).toHaveLength(50);
    expect(new Set(recipients)).toEqual(new Set(emails));
    const sentBy = services.map(({ service }) => service.logs().filter((line) => line.event === 'mail.delivery' && line.outcome === 'sent').length);
    expect(sentBy[0]! + sentBy[1]!).toBe(50);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { simpleParser } from 'mailparser';
import { createService } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { createTestApp, registerUser, TEST_KEY_ENCRYPTION_KEY, type TestApp } from '../support/test-app';
import { FAST_MAIL_ENV } from '../support/mail-app';
import { eventually, startTestSmtp } from '../support/test-smtp';

describe('mail transport', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((t) => t.close()));
  });

  it('in development without SMTP_URL, writes .eml files and logs where, never the token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mail-'));
    const t = await createTestApp({ ...FAST_MAIL_ENV, NODE_ENV: 'development', MAIL_DIR: dir });
    apps.push(t);
    await t.service.lifecycle.start();
    await registerUser(t.app);

    const [file] = await eventually(() => fs.readdirSync(dir).filter((name) => name.endsWith('.eml')).length > 0 && fs.readdirSync(dir));
    const message = await simpleParser(fs.readFileSync(path.join(dir, file!)));
    const token = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(message.text ?? '')?.[1];
    expect(token).toHaveLength(43);
    expect(message.subject).toBe('Verify your email address - Test Product');
    // The worker writes the file, then records the outcome and logs it: the line follows the file.
    const sent = await eventually(() => t.logs().find((line) => line.event === 'mail.delivery' && line.outcome === 'sent'), 10_000).catch(() => undefined);
    expect(sent).toEqual(expect.objectContaining({ event: 'mail.delivery', outcome: 'sent', file: path.join(dir, file!) }));
    expect(t.logText()).not.toContain(token);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('in production without SMTP_URL, warns at start-up and keeps mail in the outbox until SMTP_URL is set', async () => {
    const t = await createTestApp({ ...FAST_MAIL_ENV, NODE_ENV: 'production', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY });
    apps.push(t);
    await t.service.lifecycle.start();
    expect(t.logs()).toEqual(expect.arrayContaining([expect.objectContaining({ level: 40, msg: expect.stringMatching(/SMTP_URL is not set/) })]));
    const { email } = await registerUser(t.app);
    await request(t.app).post('/auth/password/forgot').send({ email }).expect(202);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const held = await t.database.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM mail_outbox WHERE recipient = $1`, [email]);
    expect(held).toEqual([
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 0 },
    ]);

    // The same database, a process configured with SMTP_URL: what waited goes out.
    const smtp = await startTestSmtp();
    const config = loadConfig({
      ...FAST_MAIL_ENV,
      NODE_ENV: 'production',
      DATABASE_URL: t.config.databaseUrl,
      JWT_SECRET: t.config.jwt.secret,
      PASSWORD_PEPPER: t.config.password.pepper,
      KEY_ENCRYPTION_KEY: t.config.keys.encryptionKey,
      SMTP_URL: smtp.url,
    });
    const logger = createLogger({ level: 'silent', pretty: false, destination: new Writable({ write: (_c, _e, done) => done() }) });
    const later = createService({ config, logger, db: t.db });
    await later.lifecycle.start();
    try {
      await smtp.waitFor((mail) => mail.to === email, 2);
    } finally {
      await later.lifecycle.stop();
      await smtp.stop();
    }
  });
});

import { createTestApp, type TestApp } from './test-app';
import { startTestSmtp, type TestSmtp } from './test-smtp';

export const TEST_APP_URL = 'https://app.example.test';

/** Settings that make delivery and its retries fast enough for tests. */
export const FAST_MAIL_ENV = {
  APP_URL: TEST_APP_URL,
  MAIL_FROM: 'Test Product <no-reply@example.test>',
  MAIL_PRODUCT_NAME: 'Test Product',
  MAIL_POLL_INTERVAL: '200ms',
  MAIL_RETRY_BASE_DELAY: '100ms',
  MAIL_RETRY_MAX_DELAY: '400ms',
  THROTTLE_MAIL_IP_MAX: '10000',
  THROTTLE_MAIL_ADDRESS_MAX: '1000',
};

export interface MailTestApp extends TestApp {
  smtp: TestSmtp;
}

/** The app with its delivery worker running against a real SMTP server on loopback. */
export async function createMailTestApp(env: Record<string, string> = {}, smtpOptions: Parameters<typeof startTestSmtp>[0] = {}): Promise<MailTestApp> {
  const smtp = await startTestSmtp(smtpOptions);
  const t = await createTestApp({ ...FAST_MAIL_ENV, SMTP_URL: smtp.url, ...env });
  await t.service.lifecycle.start();
  return {
    ...t,
    smtp,
    async close() {
      await t.close();
      await smtp.stop();
    },
  };
}

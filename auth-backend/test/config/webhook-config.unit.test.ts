import { parseBreachCheckConfig, parseNotificationConfig, parseWebhookConfig } from '../../src/config/webhooks';

describe('webhook, notification and breach-check configuration', () => {
  it('has the documented defaults', () => {
    const problems: string[] = [];
    expect(parseWebhookConfig({}, problems)).toEqual({
      allowInsecure: false,
      retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      disableAfterSeconds: 5 * 86_400,
      timeoutMs: 10_000,
      concurrency: 64,
      perEndpoint: 16,
      pollIntervalMs: 2_000,
    });
    expect(parseNotificationConfig({}, problems)).toEqual({ newSignIn: true });
    expect(parseBreachCheckConfig({}, problems)).toEqual({ mode: 'off', apiUrl: 'https://api.pwnedpasswords.com/range/', timeoutMs: 2_000 });
    expect(problems).toEqual([]);
  });

  it('reads a test schedule and names every bad variable on a line of its own', () => {
    const problems: string[] = [];
    expect(parseWebhookConfig({ WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s' }, problems).retryScheduleMs).toEqual([1000, 2000, 4000]);
    parseWebhookConfig({ WEBHOOK_RETRY_SCHEDULE: '1s,soon', WEBHOOK_ALLOW_INSECURE: 'maybe', WEBHOOK_CONCURRENCY: '0' }, problems);
    parseBreachCheckConfig({ PASSWORD_BREACH_CHECK: 'warn', PASSWORD_BREACH_API: 'ftp://x' }, problems);
    expect(problems.map((line) => line.split(':')[0])).toEqual([
      'WEBHOOK_RETRY_SCHEDULE',
      'WEBHOOK_ALLOW_INSECURE',
      'WEBHOOK_CONCURRENCY',
      'PASSWORD_BREACH_CHECK',
      'PASSWORD_BREACH_API',
    ]);
  });
});

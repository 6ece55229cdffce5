/**
 * The Webhooks section: the endpoints through the WebhookService that /admin/webhooks calls (its
 * request schemas, its URL guard, its webhook.* events with the console's administrator as actor).
 * The signing secret of a new webhook is shown once, on the page the creation redirects to, as for
 * an app's secret (a sealed short-lived cookie, never a URL).
 */
import type { Router } from 'express';
import { AppError } from '../errors';
import type { WebhookService } from '../webhooks/webhook-service';
import { CreateWebhookBody, DeliveryQuery, UpdateWebhookBody } from '../webhooks/webhook-schemas';
import { parseInput } from '../http/validate';
import { problemText, type ConsoleAccess, type ConsoleRequest } from './console-access';
import type { ConsoleCookies } from './console-cookies';
import { NewWebhookPage, WebhookPage, WebhooksPage, webhookHref, type WebhookPageProps } from './pages/webhooks-pages';

export interface WebhookRoutesDeps {
  access: ConsoleAccess;
  webhooks: WebhookService;
  cookies: ConsoleCookies;
}

const PAGE_SIZE = 50;

const DONE: Record<string, string> = {
  created: 'The webhook is added.',
  enabled: 'The webhook is enabled.',
  disabled: 'The webhook is disabled: nothing more is sent to it until it is enabled.',
  retried: 'The delivery is sent again now.',
  tested: 'A webhook.test event is on its way.',
};

/** The refusals a form shows again: a bad value, or a URL the guard refused. */
const isRefusal = (error: unknown): error is AppError =>
  error instanceof AppError && (error.code === 'validation_failed' || error.code === 'invalid_webhook_url');

export function webhookRoutes({ access, webhooks, cookies }: WebhookRoutesDeps) {
  const id = (c: ConsoleRequest) => String(c.req.params.id);
  const done = (c: ConsoleRequest) => (typeof c.req.query.done === 'string' ? DONE[c.req.query.done] : undefined);
  const actor = (c: ConsoleRequest) => ({ id: c.actor.user.id, meta: c.meta });

  async function showWebhook(c: ConsoleRequest, extra: Pick<WebhookPageProps, 'notice' | 'secret'>) {
    const webhook = await webhooks.get(id(c));
    const raw = Object.fromEntries(
      ['status', 'limit', 'cursor'].flatMap((name) => {
        const value = c.req.query[name];
        return typeof value === 'string' && value !== '' ? [[name, value]] : [];
      }),
    );
    const status = typeof raw.status === 'string' ? raw.status : '';
    try {
      const query = parseInput(DeliveryQuery, raw);
      const limit = query.limit ?? PAGE_SIZE;
      const page = await webhooks.deliveries(webhook.id, { status: query.status, limit, cursor: query.cursor });
      const next =
        page.nextCursor &&
        new URLSearchParams({ ...(query.status ? { status: query.status } : {}), ...(query.limit ? { limit: String(limit) } : {}), cursor: page.nextCursor });
      const nextHref = next ? `${webhookHref(webhook.id)}?${next}` : undefined;
      c.send(200, WebhookPage({ chrome: c.chrome, csrf: c.csrf, webhook, deliveries: page.items, status, nextHref, ...extra }));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      c.send(400, WebhookPage({ chrome: c.chrome, csrf: c.csrf, webhook, deliveries: [], status, error: problemText(error) }));
    }
  }

  const act = (doneKey: string, run: (c: ConsoleRequest) => Promise<unknown>) =>
    access.action(async (c) => {
      await run(c);
      c.res.redirect(303, `${webhookHref(id(c))}?done=${doneKey}`);
    });

  return (router: Router) => {
    router.get(
      '/console/webhooks',
      access.page(async (c) => c.send(200, WebhooksPage({ chrome: c.chrome, webhooks: await webhooks.list(), notice: done(c) }))),
    );
    router.get(
      '/console/webhooks/new',
      access.page(async (c) => c.send(200, NewWebhookPage({ chrome: c.chrome, csrf: c.csrf, values: { url: '', events: '*', description: '' } }))),
    );
    router.post(
      '/console/webhooks',
      access.action(async (c) => {
        const values = { url: c.field('url') ?? '', events: c.field('events') ?? '', description: c.field('description') ?? '' };
        try {
          const body = parseInput(CreateWebhookBody, {
            url: values.url,
            events: values.events.split(/[\s,]+/).filter(Boolean),
            ...(values.description.trim() ? { description: values.description } : {}),
          });
          const { webhook, secret } = await webhooks.create(actor(c), body);
          cookies.setSecret(c.res, c.session, webhook.id, secret);
          c.res.redirect(303, `${webhookHref(webhook.id)}?done=created`);
        } catch (error) {
          if (!isRefusal(error)) throw error;
          c.send(400, NewWebhookPage({ chrome: c.chrome, csrf: c.csrf, values, error: problemText(error) }));
        }
      }),
    );
    router.get(
      '/console/webhooks/:id',
      access.page(async (c) => {
        const secret = cookies.secret(c.req, c.session, id(c));
        if (secret) cookies.clearSecret(c.res);
        await showWebhook(c, { notice: done(c), secret });
      }),
    );
    router.post(
      '/console/webhooks/:id/enable',
      act('enabled', (c) => webhooks.update(actor(c), id(c), parseInput(UpdateWebhookBody, { enabled: true }))),
    );
    router.post(
      '/console/webhooks/:id/disable',
      act('disabled', (c) => webhooks.update(actor(c), id(c), parseInput(UpdateWebhookBody, { enabled: false }))),
    );
    router.post(
      '/console/webhooks/:id/test',
      act('tested', (c) => webhooks.test(actor(c), id(c))),
    );
    router.post(
      '/console/webhooks/:id/deliveries/:deliveryId/retry',
      act('retried', (c) => webhooks.retry(id(c), String(c.req.params.deliveryId))),
    );
  };
}

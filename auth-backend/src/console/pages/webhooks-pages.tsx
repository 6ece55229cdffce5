/** The Webhooks section: the list, the form of a new webhook, and one webhook's page with its deliveries. */
import type { WebhookRow } from '../../tables/webhooks';
import type { DeliveryRow } from '../../tables/webhook-deliveries';
import { CsrfInput } from '../../web/layout';
import { ConsolePage, NextPage, StackTable, Time, type Chrome } from './console-layout';

export const webhookHref = (id: string) => `/console/webhooks/${encodeURIComponent(id)}`;

const state = (webhook: WebhookRow) => (webhook.enabled ? 'enabled' : `disabled${webhook.disabledReason ? ` (${webhook.disabledReason})` : ''}`);

export function WebhooksPage({ chrome, webhooks, notice }: { chrome: Chrome; webhooks: WebhookRow[]; notice?: string }) {
  return (
    <ConsolePage chrome={chrome} title="Webhooks" section="webhooks" notice={notice}>
      <p>Endpoints of other systems that receive the audit events, signed (Standard Webhooks).</p>
      <p>
        <a class="button" href="/console/webhooks/new">
          Add a webhook
        </a>
      </p>
      <StackTable
        rows={webhooks}
        empty="No webhooks."
        columns={[
          {
            label: 'URL',
            cell: (webhook) => (
              <>
                <a href={webhookHref(webhook.id)}>{webhook.url}</a>
                {webhook.description && <div class="muted">{webhook.description}</div>}
              </>
            ),
          },
          { label: 'Events', cell: (webhook) => webhook.events.join(', ') },
          { label: 'State', cell: state },
          { label: 'Added', cell: (webhook) => <Time at={webhook.createdAt} /> },
        ]}
      />
    </ConsolePage>
  );
}

export interface NewWebhookValues {
  url: string;
  events: string;
  description: string;
}

export function NewWebhookPage({ chrome, csrf, values, error }: { chrome: Chrome; csrf: string; values: NewWebhookValues; error?: string }) {
  return (
    <ConsolePage chrome={chrome} title="Add a webhook" section="webhooks" error={error}>
      <form method="post" action="/console/webhooks">
        <CsrfInput token={csrf} />
        <div class="field">
          <label for="url">URL</label>
          <input id="url" name="url" type="text" inputMode="url" autocomplete="off" required value={values.url} />
        </div>
        <div class="field">
          <label for="events">Event types</label>
          <input id="events" name="events" type="text" autocomplete="off" required value={values.events} aria-describedby="events-help" />
          <p id="events-help" class="muted">
            Audit event types separated by spaces or commas (for example user.registered user.deleted), or * for every one.
          </p>
        </div>
        <div class="field">
          <label for="description">Description (optional)</label>
          <input id="description" name="description" type="text" autocomplete="off" required={false} value={values.description} />
        </div>
        <button type="submit">Add</button>
      </form>
    </ConsolePage>
  );
}

export interface WebhookPageProps {
  chrome: Chrome;
  csrf: string;
  webhook: WebhookRow;
  deliveries: DeliveryRow[];
  status: string;
  nextHref?: string;
  secret?: string;
  notice?: string;
  error?: string;
}

function DeliveryStatus({ delivery }: { delivery: DeliveryRow }) {
  const code = delivery.lastStatusCode !== null ? ` (HTTP ${delivery.lastStatusCode})` : '';
  return <>{`${delivery.status}${code}`}</>;
}

export function WebhookPage({ chrome, csrf, webhook, deliveries, status, nextHref, secret, notice, error }: WebhookPageProps) {
  const base = webhookHref(webhook.id);
  return (
    <ConsolePage chrome={chrome} title="Webhook" section="webhooks" notice={notice} error={error}>
      {secret && (
        <section aria-labelledby="secret-heading" class="notice">
          <h2 id="secret-heading">Signing secret</h2>
          <p>Copy it now: it is shown only this once. The receiver verifies each delivery’s signature with it.</p>
          <p class="secret" id="webhook-secret">
            {secret}
          </p>
        </section>
      )}
      <dl class="facts">
        <dt>URL</dt>
        <dd>{webhook.url}</dd>
        <dt>Events</dt>
        <dd>{webhook.events.join(', ')}</dd>
        <dt>Description</dt>
        <dd>{webhook.description ?? '—'}</dd>
        <dt>State</dt>
        <dd>{state(webhook)}</dd>
        <dt>Added</dt>
        <dd>
          <Time at={webhook.createdAt} />
        </dd>
      </dl>
      <div class="row">
        <form method="post" action={`${base}/${webhook.enabled ? 'disable' : 'enable'}`}>
          <CsrfInput token={csrf} />
          <button type="submit" class={webhook.enabled ? 'secondary' : undefined}>
            {webhook.enabled ? 'Disable' : 'Enable'}
          </button>
        </form>
        <form method="post" action={`${base}/test`}>
          <CsrfInput token={csrf} />
          <button type="submit" class="secondary">
            Send a test event
          </button>
        </form>
      </div>

      <h2>Deliveries</h2>
      <form method="get" action={base} class="row">
        <div class="field">
          <label for="status">Status</label>
          <select id="status" name="status">
            {['', 'pending', 'delivered', 'failed'].map((value) => (
              <option value={value} selected={status === value}>
                {value || 'any'}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      <StackTable
        rows={deliveries}
        empty="No deliveries."
        caption="Deliveries, newest first"
        columns={[
          {
            label: 'Event',
            cell: (delivery) => (
              <>
                {delivery.eventType}
                <div class="muted code">{delivery.id}</div>
              </>
            ),
          },
          { label: 'Status', cell: (delivery) => <DeliveryStatus delivery={delivery} /> },
          { label: 'Attempts', cell: (delivery) => delivery.attempts },
          { label: 'Last error', cell: (delivery) => delivery.lastError ?? '' },
          { label: 'Created', cell: (delivery) => <Time at={delivery.createdAt} /> },
          { label: 'Next attempt', cell: (delivery) => (delivery.status === 'pending' ? <Time at={delivery.nextAttemptAt} /> : '') },
          {
            label: 'Action',
            cell: (delivery) => (
              <form method="post" action={`${base}/deliveries/${encodeURIComponent(delivery.id)}/retry`}>
                <CsrfInput token={csrf} />
                <button type="submit" class="secondary" aria-label={`Retry now (delivery ${delivery.id})`}>
                  Retry now
                </button>
              </form>
            ),
          },
        ]}
      />
      <NextPage href={nextHref} />
    </ConsolePage>
  );
}

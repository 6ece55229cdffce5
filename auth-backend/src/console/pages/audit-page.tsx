/** The audit log: filters by user and type (a GET form, so a filter is a link), newest first, a next-page link. */
import type { AuditEvent } from '../../domain/audit';
import { ConsolePage, NextPage, Time, type Chrome } from './console-layout';
import { userHref } from './users-page';

export interface AuditPageProps {
  chrome: Chrome;
  types: readonly string[];
  filter: { userId: string; type: string };
  events: AuditEvent[];
  nextHref?: string;
  error?: string;
}

export function AuditPage({ chrome, types, filter, events, nextHref, error }: AuditPageProps) {
  return (
    <ConsolePage chrome={chrome} title="Audit log" section="audit" error={error}>
      <form method="get" action="/console/audit" class="row" role="search">
        <div class="field">
          <label for="userId">User id</label>
          <input id="userId" name="userId" type="text" autocomplete="off" value={filter.userId} />
        </div>
        <div class="field">
          <label for="type">Event type</label>
          <select id="type" name="type">
            <option value="" selected={filter.type === ''}>
              any
            </option>
            {types.map((type) => (
              <option value={type} selected={filter.type === type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      {events.length === 0 ? (
        <p class="muted">No events.</p>
      ) : (
        <table class="stack">
          <caption class="muted">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">User</th>
              <th scope="col">Actor</th>
              <th scope="col">IP address</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr>
                <td data-label="When">
                  <Time at={event.at} />
                </td>
                <td data-label="Event">{event.type}</td>
                <td data-label="User">
                  {event.userId ? (
                    <a href={userHref(event.userId)} class="code">
                      {event.userId.slice(0, 8)}
                    </a>
                  ) : (
                    ''
                  )}
                </td>
                <td data-label="Actor">
                  {event.actorId ? (
                    <a href={userHref(event.actorId)} class="code">
                      {event.actorId.slice(0, 8)}
                    </a>
                  ) : (
                    ''
                  )}
                </td>
                <td data-label="IP address">{event.ip ?? ''}</td>
                <td data-label="Details" class="code">
                  {Object.keys(event.data).length > 0 ? JSON.stringify(event.data) : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage href={nextHref} />
    </ConsolePage>
  );
}

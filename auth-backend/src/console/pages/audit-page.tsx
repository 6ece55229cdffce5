/** The audit log: filters by user and type (a GET form, so a filter is a link), newest first, a next-page link. */
import type { AuditEvent } from '../../domain/audit';
import { ConsolePage, NextPage, StackTable, Time, type Chrome } from './console-layout';
import { userHref } from './users-page';

export interface AuditPageProps {
  chrome: Chrome;
  types: readonly string[];
  filter: { userId: string; type: string };
  events: AuditEvent[];
  nextHref?: string;
  error?: string;
}

/** A user's page, linked by the first characters of the id; nothing when there is no user. */
function ShortUserLink({ id }: { id: string | null }) {
  return id ? (
    <a href={userHref(id)} class="code">
      {id.slice(0, 8)}
    </a>
  ) : null;
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
      <StackTable
        rows={events}
        empty="No events."
        caption="Events, newest first"
        columns={[
          { label: 'When', cell: (event) => <Time at={event.at} /> },
          { label: 'Event', cell: (event) => event.type },
          { label: 'User', cell: (event) => <ShortUserLink id={event.userId} /> },
          { label: 'Actor', cell: (event) => <ShortUserLink id={event.actorId} /> },
          { label: 'IP address', cell: (event) => event.ip ?? '' },
          {
            label: 'Details',
            cell: (event) => (Object.keys(event.data).length > 0 ? JSON.stringify(event.data) : ''),
            attributes: () => ({ class: 'code' }),
          },
        ]}
      />
      <NextPage href={nextHref} />
    </ConsolePage>
  );
}

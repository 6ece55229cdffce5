/**
 * One user: the profile and its state, the actions (each a plain form with the console session's
 * CSRF token), the live sessions, the linked identities, and the user's recent audit events.
 */
import type { AdminUser } from '../../domain/user';
import type { AuditEvent } from '../../domain/audit';
import type { SessionSummary } from '../../tables/sessions';
import { CsrfInput } from '../../web/layout';
import { deviceLabel, deviceOf } from '../../notifications/device';
import { ConsolePage, StackTable, Time, type Chrome } from './console-layout';
import { userHref } from './users-page';

export interface UserPageProps {
  chrome: Chrome;
  csrf: string;
  user: AdminUser;
  sessions: SessionSummary[];
  events: AuditEvent[];
  notice?: string;
  /** A refused action's message, shown at the top and beside its form. */
  error?: { form: 'role' | 'delete' | 'other'; message: string };
}

function Action({
  csrf,
  path,
  label,
  danger = false,
  secondary = false,
}: {
  csrf: string;
  path: string;
  label: string;
  danger?: boolean;
  secondary?: boolean;
}) {
  return (
    <form method="post" action={path}>
      <CsrfInput token={csrf} />
      <button type="submit" class={danger ? 'danger' : secondary ? 'secondary' : undefined}>
        {label}
      </button>
    </form>
  );
}

export function UserPage({ chrome, csrf, user, sessions, events, notice, error }: UserPageProps) {
  const base = userHref(user.id);
  return (
    <ConsolePage chrome={chrome} title={user.email} section="users" notice={notice} error={error?.message}>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{user.name ?? '—'}</dd>
        <dt>User id</dt>
        <dd class="code">{user.id}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Email</dt>
        <dd>{user.emailVerifiedAt ? 'verified' : 'not verified'}</dd>
        <dt>Account</dt>
        <dd>{user.disabledAt ? 'disabled' : 'active'}</dd>
        <dt>Second factor</dt>
        <dd>{user.mfaEnabled ? 'authenticator app' : 'none'}</dd>
        <dt>Passkeys</dt>
        <dd>{user.passkeys}</dd>
        <dt>Identities</dt>
        <dd>{user.identities.length > 0 ? user.identities.join(', ') : 'none'}</dd>
        <dt>Last sign-in</dt>
        <dd>
          <Time at={user.lastSignInAt} />
        </dd>
        <dt>Registered</dt>
        <dd>
          <Time at={user.createdAt} />
        </dd>
      </dl>

      <h2>Actions</h2>
      <div class="row">
        {user.disabledAt ? (
          <Action csrf={csrf} path={`${base}/enable`} label="Enable account" />
        ) : (
          <Action csrf={csrf} path={`${base}/disable`} label="Disable account" />
        )}
        <Action csrf={csrf} path={`${base}/sign-out`} label="Sign out everywhere" secondary />
        {user.mfaEnabled && <Action csrf={csrf} path={`${base}/reset-mfa`} label="Remove second factor" secondary />}
        {!user.emailVerifiedAt && <Action csrf={csrf} path={`${base}/verify`} label="Mark email verified" secondary />}
      </div>
      <form method="post" action={`${base}/role`} class="row">
        <CsrfInput token={csrf} />
        <div class="field">
          <label for="role">Role</label>
          <select id="role" name="role" aria-invalid={error?.form === 'role' ? 'true' : undefined}>
            <option value="user" selected={user.role === 'user'}>
              user
            </option>
            <option value="admin" selected={user.role === 'admin'}>
              admin
            </option>
          </select>
        </div>
        <button type="submit" class="secondary">
          Change role
        </button>
      </form>

      <h2>Sessions</h2>
      <StackTable
        rows={sessions}
        empty="No live session."
        columns={[
          {
            label: 'Browser',
            cell: (session) => deviceLabel(deviceOf(session.userAgent)),
            attributes: (session) => ({ title: session.userAgent ?? undefined }),
          },
          { label: 'Began', cell: (session) => <Time at={session.createdAt} /> },
          { label: 'Last used', cell: (session) => <Time at={session.lastUsedAt} /> },
        ]}
      />

      <h2>Recent audit events</h2>
      <StackTable
        rows={events}
        empty="None."
        columns={[
          { label: 'When', cell: (event) => <Time at={event.at} /> },
          { label: 'Event', cell: (event) => event.type },
          { label: 'By', cell: (event) => (event.actorId ? <a href={userHref(event.actorId)}>an administrator</a> : 'the user') },
          { label: 'IP address', cell: (event) => event.ip ?? '' },
        ]}
      />
      <p>
        <a href={`/console/audit?userId=${encodeURIComponent(user.id)}`}>All of this user’s events</a>
      </p>

      <h2 id="delete-heading">Delete this user</h2>
      <form method="post" action={`${base}/delete`} class="danger-zone" aria-labelledby="delete-heading">
        <CsrfInput token={csrf} />
        <p>The account is erased: its sessions, tokens, identities, factors and unsent mail. Audit events keep the user id and lose the address.</p>
        <div class="field">
          <label for="confirm-email">Type the user’s email address to confirm</label>
          <input
            id="confirm-email"
            name="email"
            type="email"
            autocomplete="off"
            required
            aria-invalid={error?.form === 'delete' ? 'true' : undefined}
            aria-describedby={error?.form === 'delete' ? 'delete-error' : undefined}
          />
          {error?.form === 'delete' && (
            <p id="delete-error" class="alert">
              {error.message}
            </p>
          )}
        </div>
        <button type="submit" class="danger">
          Delete user
        </button>
      </form>
    </ConsolePage>
  );
}

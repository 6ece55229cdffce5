/** The users list: a search form (GET, so a search is a link), a page of users, and the next page's link. */
import type { AdminUser } from '../../domain/user';
import { ConsolePage, NextPage, Time, type Chrome } from './console-layout';

export interface UsersPageProps {
  chrome: Chrome;
  search: string;
  users: AdminUser[];
  /** The next page's link (over the list's keyset cursor); absent after the last page. */
  nextHref?: string;
  notice?: string;
  error?: string;
}

export const userHref = (id: string) => `/console/users/${encodeURIComponent(id)}`;

export function UsersPage({ chrome, search, users, nextHref, notice, error }: UsersPageProps) {
  return (
    <ConsolePage chrome={chrome} title="Users" section="users" notice={notice} error={error}>
      <form method="get" action="/console/users" role="search" class="row">
        <div class="field">
          <label for="search">Email or name contains</label>
          <input id="search" name="search" type="search" autocomplete="off" value={search} />
        </div>
        <button type="submit">Search</button>
      </form>
      {users.length === 0 ? (
        <p class="muted">No users{search ? ` match “${search}”` : ''}.</p>
      ) : (
        <table class="stack">
          <caption class="muted">{search ? `Users whose email or name contains “${search}”, newest first` : 'Users, newest first'}</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Registered</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr>
                <td data-label="Email">
                  <a href={userHref(user.id)}>{user.email}</a>
                </td>
                <td data-label="Name">{user.name ?? ''}</td>
                <td data-label="Role">{user.role}</td>
                <td data-label="State">{[user.disabledAt ? 'disabled' : 'active', user.emailVerifiedAt ? 'verified' : 'unverified'].join(', ')}</td>
                <td data-label="Last sign-in">
                  <Time at={user.lastSignInAt} />
                </td>
                <td data-label="Registered">
                  <Time at={user.createdAt} />
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

/** The users list: a search form (GET, so a search is a link), a page of users, and the next page's link. */
import type { AdminUser } from '../../domain/user';
import { ConsolePage, NextPage, StackTable, Time, type Chrome } from './console-layout';

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
      <StackTable
        rows={users}
        empty={`No users${search ? ` match “${search}”` : ''}.`}
        caption={search ? `Users whose email or name contains “${search}”, newest first` : 'Users, newest first'}
        columns={[
          { label: 'Email', cell: (user) => <a href={userHref(user.id)}>{user.email}</a> },
          { label: 'Name', cell: (user) => user.name ?? '' },
          { label: 'Role', cell: (user) => user.role },
          { label: 'State', cell: (user) => [user.disabledAt ? 'disabled' : 'active', user.emailVerifiedAt ? 'verified' : 'unverified'].join(', ') },
          { label: 'Last sign-in', cell: (user) => <Time at={user.lastSignInAt} /> },
          { label: 'Registered', cell: (user) => <Time at={user.createdAt} /> },
        ]}
      />
      <NextPage href={nextHref} />
    </ConsolePage>
  );
}

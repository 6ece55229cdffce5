/** The Apps section (the provider's clients): the list, the form of a new app, and one app's page. */
import type { OAuthClient } from '../../tables/oauth-clients';
import { CsrfInput } from '../../web/layout';
import { ConsolePage, StackTable, Time, type Chrome } from './console-layout';

export const appHref = (id: string) => `/console/apps/${encodeURIComponent(id)}`;

export function AppsPage({ chrome, apps, notice }: { chrome: Chrome; apps: OAuthClient[]; notice?: string }) {
  return (
    <ConsolePage chrome={chrome} title="Apps" section="apps" notice={notice}>
      <p>Applications that sign their users in through this service (its OpenID Provider’s clients).</p>
      <p>
        <a class="button" href="/console/apps/new">
          Register an app
        </a>
      </p>
      <StackTable
        rows={apps}
        empty="No apps."
        columns={[
          { label: 'Name', cell: (app) => <a href={appHref(app.id)}>{app.name}</a> },
          { label: 'Type', cell: (app) => `${app.type}${app.firstParty ? ', first-party' : ''}` },
          { label: 'Client id', cell: (app) => app.id, attributes: () => ({ class: 'code' }) },
          { label: 'Registered', cell: (app) => <Time at={app.createdAt} /> },
        ]}
      />
    </ConsolePage>
  );
}

export interface NewAppValues {
  name: string;
  type: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  firstParty: boolean;
}

function UriFields({ redirectUris, postLogoutRedirectUris }: { redirectUris: string; postLogoutRedirectUris: string }) {
  return (
    <>
      <div class="field">
        <label for="redirectUris">Redirect URIs, one per line</label>
        <textarea id="redirectUris" name="redirectUris" rows={3} aria-describedby="uri-help">
          {redirectUris}
        </textarea>
      </div>
      <div class="field">
        <label for="postLogoutRedirectUris">Post-logout redirect URIs, one per line</label>
        <textarea id="postLogoutRedirectUris" name="postLogoutRedirectUris" rows={2} aria-describedby="uri-help">
          {postLogoutRedirectUris}
        </textarea>
      </div>
      <p id="uri-help" class="muted">
        Matched exactly: https, or http on a loopback address for a native app (which then matches with any port).
      </p>
    </>
  );
}

export function NewAppPage({ chrome, csrf, values, error }: { chrome: Chrome; csrf: string; values: NewAppValues; error?: string }) {
  return (
    <ConsolePage chrome={chrome} title="Register an app" section="apps" error={error}>
      <form method="post" action="/console/apps">
        <CsrfInput token={csrf} />
        <div class="field">
          <label for="name">Name</label>
          <input id="name" name="name" type="text" autocomplete="off" required value={values.name} />
        </div>
        <div class="field">
          <label for="type">Type</label>
          <select id="type" name="type">
            <option value="confidential" selected={values.type !== 'public'}>
              confidential: a server-side app with a secret
            </option>
            <option value="public" selected={values.type === 'public'}>
              public: a single-page or native app (PKCE only)
            </option>
          </select>
        </div>
        <UriFields redirectUris={values.redirectUris} postLogoutRedirectUris={values.postLogoutRedirectUris} />
        <div class="check">
          <input id="firstParty" name="firstParty" type="checkbox" value="true" checked={values.firstParty} />
          <label for="firstParty">First-party (the team’s own app: no consent page)</label>
        </div>
        <button type="submit">Register</button>
      </form>
    </ConsolePage>
  );
}

export interface AppPageProps {
  chrome: Chrome;
  csrf: string;
  app: OAuthClient;
  /** The secret, on the one page shown after it was made. */
  secret?: string;
  builtIn: boolean;
  notice?: string;
  error?: string;
  /** What was typed in the URI fields (after a refused change). */
  uris?: { redirectUris: string; postLogoutRedirectUris: string };
}

export function AppPage({ chrome, csrf, app, secret, builtIn, notice, error, uris }: AppPageProps) {
  const base = appHref(app.id);
  return (
    <ConsolePage chrome={chrome} title={app.name} section="apps" notice={notice} error={error}>
      {secret && (
        <section aria-labelledby="secret-heading" class="notice">
          <h2 id="secret-heading">Client secret</h2>
          <p>Copy it now: it is shown only this once (the service keeps only its hash).</p>
          <p class="secret" id="client-secret">
            {secret}
          </p>
        </section>
      )}
      {builtIn && <p class="muted">The console’s own client, created at start-up; the console signs in through it.</p>}
      <dl class="facts">
        <dt>Client id</dt>
        <dd class="code">{app.id}</dd>
        <dt>Type</dt>
        <dd>{app.type}</dd>
        <dt>First-party</dt>
        <dd>{app.firstParty ? 'yes' : 'no'}</dd>
        <dt>Grant types</dt>
        <dd>{app.grantTypes.join(', ')}</dd>
        <dt>Resources</dt>
        <dd>{app.resources.length > 0 ? app.resources.join(', ') : 'none'}</dd>
        <dt>Registered</dt>
        <dd>
          <Time at={app.createdAt} />
        </dd>
      </dl>
      <h2>Redirect URIs</h2>
      <form method="post" action={`${base}/redirect-uris`}>
        <CsrfInput token={csrf} />
        <UriFields
          redirectUris={uris?.redirectUris ?? app.redirectUris.join('\n')}
          postLogoutRedirectUris={uris?.postLogoutRedirectUris ?? app.postLogoutRedirectUris.join('\n')}
        />
        <button type="submit">Save redirect URIs</button>
      </form>
      {app.type === 'confidential' && (
        <>
          <h2>Secret</h2>
          <form method="post" action={`${base}/secret`}>
            <CsrfInput token={csrf} />
            <p>A new secret replaces the current one at once: the app must be given the new one.</p>
            <button type="submit" class="secondary">
              Rotate the secret
            </button>
          </form>
        </>
      )}
      <h2 id="delete-app-heading">Delete this app</h2>
      <form method="post" action={`${base}/delete`} class="danger-zone" aria-labelledby="delete-app-heading">
        <CsrfInput token={csrf} />
        <p>Every grant and token of the app is revoked, and its users’ consents removed.</p>
        <button type="submit" class="danger">
          Delete app
        </button>
      </form>
    </ConsolePage>
  );
}

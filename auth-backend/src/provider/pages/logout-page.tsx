/** RP-initiated logout's confirmation: one button (name `logout`, value `yes`) with the library's CSRF token. */
import { Layout } from '../../web/layout';

export interface LogoutPageProps {
  stylesheet: string;
  action: string;
  xsrf: string;
  clientName?: string;
}

export function LogoutPage({ stylesheet, action, xsrf, clientName }: LogoutPageProps) {
  return (
    <Layout title="Sign out" stylesheet={stylesheet}>
      <h1>Sign out?</h1>
      <p>{clientName ? `${clientName} asks to sign you out of this service.` : 'You are about to sign out of this service.'}</p>
      <form method="post" action={action}>
        <input type="hidden" name="xsrf" value={xsrf} />
        <div class="actions">
          <button type="submit" name="logout" value="yes" autofocus>
            Sign out
          </button>
        </div>
      </form>
    </Layout>
  );
}

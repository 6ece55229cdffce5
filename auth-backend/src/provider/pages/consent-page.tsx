/** The consent page: what an application asks for, allow or deny (never shown for first-party applications). */
import { CsrfInput, Layout } from '../../web/layout';

export interface ConsentPageProps {
  stylesheet: string;
  clientName: string;
  action: string;
  csrf: string;
  /** What each requested scope gives, in words. */
  permissions: string[];
  email: string;
}

export function ConsentPage({ stylesheet, clientName, action, csrf, permissions, email }: ConsentPageProps) {
  return (
    <Layout title={`Allow ${clientName}?`} stylesheet={stylesheet}>
      <h1>Allow {clientName}?</h1>
      <p class="muted">Signed in as {email}</p>
      <p>{clientName} asks to:</p>
      <ul class="scopes">
        {permissions.map((permission) => (
          <li>{permission}</li>
        ))}
      </ul>
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <div class="actions">
          <button type="submit" name="decision" value="allow">
            Allow
          </button>
          <button type="submit" name="decision" value="deny" class="secondary">
            Deny
          </button>
        </div>
      </form>
    </Layout>
  );
}

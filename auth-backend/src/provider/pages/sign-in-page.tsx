/** The hosted sign-in page: a password form, a button per external provider, and the passkey slot. */
import { Alert, CsrfInput, Field, Layout } from '../../web/layout';

export interface ExternalProviderButton {
  name: string;
  /** GET: starts that provider's sign-in and comes back to this interaction. */
  href: string;
}

export interface SignInPageProps {
  stylesheet: string;
  clientName: string;
  action: string;
  csrf: string;
  email?: string;
  error?: string;
  providers: ExternalProviderButton[];
}

export function SignInPage({ stylesheet, clientName, action, csrf, email, error, providers }: SignInPageProps) {
  return (
    <Layout title={`Sign in to ${clientName}`} stylesheet={stylesheet}>
      <h1>Sign in</h1>
      <p class="muted">to continue to {clientName}</p>
      <Alert message={error} />
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <Field id="email" name="email" label="Email" type="email" autocomplete="username webauthn" value={email} autofocus={!email} />
        <Field id="password" name="password" label="Password" type="password" autocomplete="current-password" autofocus={Boolean(email)} />
        <div class="actions">
          <button type="submit">Sign in</button>
        </div>
      </form>
      {/* The passkey button goes here (passkeys feature): a script of its own, served from /assets. */}
      <div class="slot" id="passkey-slot"></div>
      {providers.length > 0 && (
        <>
          <p class="divider">or</p>
          <div class="actions">
            {providers.map((provider) => (
              <a class="button secondary" href={provider.href}>
                Continue with {provider.name}
              </a>
            ))}
          </div>
        </>
      )}
    </Layout>
  );
}

/** The hosted sign-in page: a password form, a passkey button and autofill (with JavaScript), a button per external provider. */
import { Alert, CsrfInput, Field, Layout } from '../../web/layout';
import { PasskeySlot, type PasskeyForm } from './passkey-slot';

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
  passkey: PasskeyForm;
}

export function SignInPage({ stylesheet, clientName, action, csrf, email, error, providers, passkey }: SignInPageProps) {
  return (
    <Layout title={`Sign in to ${clientName}`} stylesheet={stylesheet} scripts={passkey.scripts}>
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
      {/* With JavaScript: a passkey button and the browser's passkey autofill (pages/passkey-script.ts). */}
      <PasskeySlot
        mode="sign-in"
        passkey={passkey}
        label="Sign in with a passkey"
        failed="The passkey sign-in did not complete. Try again, or use your password."
        csrf={csrf}
        fields={{ challengeId: '', response: '' }}
      />
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

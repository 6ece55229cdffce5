/** The hosted sign-in page: a password form, a passkey button and autofill (with JavaScript), a button per external provider. */
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
  passkey: PasskeyForm;
}

/** The passkey button's pieces: its scripts, where it asks for options, where its hidden form posts. */
export interface PasskeyForm {
  scripts: readonly string[];
  optionsUrl: string;
  action: string;
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
      <div
        class="slot"
        id="passkey-slot"
        data-mode="sign-in"
        data-options={passkey.optionsUrl}
        data-label="Sign in with a passkey"
        data-failed="The passkey sign-in did not complete. Try again, or use your password."
      ></div>
      <form id="passkey-form" method="post" action={passkey.action} hidden>
        <CsrfInput token={csrf} />
        <input type="hidden" name="challengeId" value="" />
        <input type="hidden" name="response" value="" />
      </form>
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

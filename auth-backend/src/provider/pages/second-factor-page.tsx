/** The second step of a hosted sign-in: a code from the authenticator app, a recovery code, or a passkey (with JavaScript). */
import { Alert, CsrfInput, Field, Layout } from '../../web/layout';
import { PasskeySlot, type PasskeyForm } from './passkey-slot';

export interface SecondFactorPageProps {
  stylesheet: string;
  clientName: string;
  action: string;
  csrf: string;
  /** The opaque, single-use token of the sign-in waiting for its second factor. */
  mfaToken: string;
  error?: string;
  /** When the account has a passkey: the "Use a passkey" button (with JavaScript). */
  passkey?: PasskeyForm;
}

export function SecondFactorPage({ stylesheet, clientName, action, csrf, mfaToken, error, passkey }: SecondFactorPageProps) {
  return (
    <Layout title={`Two-step verification - ${clientName}`} stylesheet={stylesheet} scripts={passkey?.scripts}>
      <h1>Two-step verification</h1>
      <p class="muted">Enter the 6-digit code from your authenticator app to continue to {clientName}.</p>
      <Alert message={error} />
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <input type="hidden" name="mfaToken" value={mfaToken} />
        {passkey && <input type="hidden" name="withPasskey" value="1" />}
        <Field id="code" name="code" label="Authentication code" autocomplete="one-time-code" inputMode="numeric" autofocus />
        <div class="actions">
          <button type="submit">Verify</button>
        </div>
      </form>
      <p class="divider">or</p>
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <input type="hidden" name="mfaToken" value={mfaToken} />
        {passkey && <input type="hidden" name="withPasskey" value="1" />}
        <Field id="recoveryCode" name="recoveryCode" label="Recovery code" autocomplete="one-time-code" />
        <div class="actions">
          <button type="submit" class="secondary">
            Use a recovery code
          </button>
        </div>
      </form>
      {passkey && (
        <PasskeySlot
          mode="second-factor"
          passkey={passkey}
          label="Use a passkey"
          failed="The passkey did not answer. Try again, or enter a code."
          csrf={csrf}
          fields={{ mfaToken, passkey: '' }}
        />
      )}
    </Layout>
  );
}

/** The second step of a hosted sign-in: a code from the authenticator app, or a recovery code. */
import { Alert, CsrfInput, Field, Layout } from '../../web/layout';

export interface SecondFactorPageProps {
  stylesheet: string;
  clientName: string;
  action: string;
  csrf: string;
  /** The opaque, single-use token of the sign-in waiting for its second factor. */
  mfaToken: string;
  error?: string;
}

export function SecondFactorPage({ stylesheet, clientName, action, csrf, mfaToken, error }: SecondFactorPageProps) {
  return (
    <Layout title={`Two-step verification - ${clientName}`} stylesheet={stylesheet}>
      <h1>Two-step verification</h1>
      <p class="muted">Enter the 6-digit code from your authenticator app to continue to {clientName}.</p>
      <Alert message={error} />
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <input type="hidden" name="mfaToken" value={mfaToken} />
        <Field id="code" name="code" label="Authentication code" autocomplete="one-time-code" inputMode="numeric" autofocus />
        <div class="actions">
          <button type="submit">Verify</button>
        </div>
      </form>
      <p class="divider">or</p>
      <form method="post" action={action}>
        <CsrfInput token={csrf} />
        <input type="hidden" name="mfaToken" value={mfaToken} />
        <Field id="recoveryCode" name="recoveryCode" label="Recovery code" autocomplete="one-time-code" />
        <div class="actions">
          <button type="submit" class="secondary">
            Use a recovery code
          </button>
        </div>
      </form>
    </Layout>
  );
}

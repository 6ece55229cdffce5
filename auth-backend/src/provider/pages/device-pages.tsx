/**
 * The device flow's pages (RFC 8628): enter the code a TV or a command-line tool shows, confirm
 * it, and the end. Their forms carry oidc-provider's own CSRF token (`xsrf`, bound to the browser's
 * provider session); device-form.ts maps the contract's field names onto the library's.
 */
import { Alert, Field, Layout } from '../../web/layout';

interface DeviceFormProps {
  stylesheet: string;
  action: string;
  xsrf: string;
}

export function DeviceEntryPage({ stylesheet, action, xsrf, error }: DeviceFormProps & { error?: string }) {
  return (
    <Layout title="Connect a device" stylesheet={stylesheet}>
      <h1>Connect a device</h1>
      <p class="muted">Enter the code shown on your device.</p>
      <Alert message={error} />
      <form method="post" action={action}>
        <input type="hidden" name="xsrf" value={xsrf} />
        <Field id="userCode" name="userCode" label="Code" autocomplete="one-time-code" autofocus />
        <div class="actions">
          <button type="submit">Continue</button>
        </div>
      </form>
    </Layout>
  );
}

export function DeviceConfirmPage({ stylesheet, action, xsrf, clientName, userCode }: DeviceFormProps & { clientName: string; userCode: string }) {
  return (
    <Layout title={`Connect ${clientName}?`} stylesheet={stylesheet}>
      <h1>Connect {clientName}?</h1>
      <p>
        Check that your device shows the code <span class="code">{userCode}</span>. Only continue if you started this yourself.
      </p>
      <form method="post" action={action}>
        <input type="hidden" name="xsrf" value={xsrf} />
        <input type="hidden" name="userCode" value={userCode} />
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

// What an app's page does with the JSON API and @simplewebauthn/browser (docs/passkeys.md): the
// options from the service, the browser's ceremony, the answer back to the service.
/* global SimpleWebAuthnBrowser, URLSearchParams, location, document, fetch, atob */
(function () {
  const { startRegistration, startAuthentication } = SimpleWebAuthnBrowser;
  const params = new URLSearchParams(location.hash.slice(1));
  const accessToken = params.get('token');
  document.getElementById('email').textContent = params.get('email') || 'nobody';
  const status = document.getElementById('status');
  const show = (text, failed) => {
    status.textContent = text;
    status.className = failed ? 'error' : 'done';
  };

  async function api(path, body, token) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body || {}) });
    const json = await response.json();
    if (!response.ok) throw new Error(response.status + ' ' + (json.code || '') + ': ' + json.detail);
    return json;
  }

  document.getElementById('add').addEventListener('click', async () => {
    try {
      const { options } = await api('/auth/passkeys/registration/options', {}, accessToken);
      const response = await startRegistration({ optionsJSON: options });
      const { passkey } = await api('/auth/passkeys/registration', { response, name: 'Test browser' }, accessToken);
      show('Passkey added: ' + passkey.name + ' (' + passkey.deviceType + ', transports ' + passkey.transports.join(', ') + ')');
    } catch (error) {
      show('Could not add a passkey: ' + error.message, true);
    }
  });

  document.getElementById('sign-in').addEventListener('click', async () => {
    try {
      const { options, challengeId } = await api('/auth/passkeys/authentication/options');
      const response = await startAuthentication({ optionsJSON: options });
      const tokens = await api('/auth/passkeys/authentication', { challengeId, response });
      const amr = JSON.parse(atob(tokens.accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).amr;
      show('Signed in as ' + tokens.user.email + ' with no password (amr ' + amr.join(', ') + ').');
    } catch (error) {
      show('Could not sign in: ' + error.message, true);
    }
  });
})();

/**
 * The hosted pages' passkey scripts, served from the service's own origin (web/assets.ts): the
 * pinned @simplewebauthn/browser bundle, and the small script below. The pages work without them
 * (password, codes); with them, the sign-in page offers "Sign in with a passkey" and the browser's
 * autofill of passkeys ("conditional UI"), and the second-factor page "Use a passkey". The script
 * asks the JSON API for options, runs the ceremony, and posts the answer through the page's own
 * hidden form (its CSRF token, the interaction's URL), so the server side is a plain form POST.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AssetSource } from '../../web/assets';

/** The library's browser bundle (a UMD script defining window.SimpleWebAuthnBrowser). */
const webauthnBrowser = (): string =>
  fs.readFileSync(path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');

// Plain browser JavaScript, no build step. Reads its settings from the slot's data- attributes.
const PAGE_SCRIPT = `(function () {
  'use strict';
  var slot = document.getElementById('passkey-slot');
  var form = document.getElementById('passkey-form');
  var lib = window.SimpleWebAuthnBrowser;
  if (!slot || !form || !lib || !lib.browserSupportsWebAuthn()) return;
  var secondFactor = slot.getAttribute('data-mode') === 'second-factor';

  function options() {
    var body = secondFactor ? { mfaToken: form.elements.namedItem('mfaToken').value } : {};
    return fetch(slot.getAttribute('data-options'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error('options: ' + response.status);
      return response.json();
    });
  }

  function ceremony(autofill) {
    return options().then(function (got) {
      return lib.startAuthentication({ optionsJSON: got.options, useBrowserAutofill: autofill }).then(function (answer) {
        var challenge = form.elements.namedItem('challengeId');
        if (challenge) challenge.value = got.challengeId || '';
        form.elements.namedItem(secondFactor ? 'passkey' : 'response').value = JSON.stringify(answer);
        form.submit();
      });
    });
  }

  var status = document.createElement('p');
  status.className = 'muted';
  status.setAttribute('role', 'status');
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = slot.getAttribute('data-label');
  button.addEventListener('click', function () {
    status.textContent = '';
    ceremony(false).catch(function (error) {
      status.textContent = slot.getAttribute('data-failed');
      if (window.console) console.warn('passkey:', error && error.name);
    });
  });
  var actions = document.createElement('div');
  actions.className = 'actions';
  actions.appendChild(button);
  slot.appendChild(actions);
  slot.appendChild(status);

  if (!secondFactor && lib.browserSupportsWebAuthnAutofill) {
    lib.browserSupportsWebAuthnAutofill().then(function (supported) {
      // Autofill: the browser offers its passkeys in the email field; a click on the button cancels this wait.
      if (supported) ceremony(true).catch(function () {});
    });
  }
})();
`;

/** The assets the hosted pages' passkey button needs, in the order the pages load them. */
export const PASSKEY_ASSETS: readonly AssetSource[] = [
  { name: 'webauthn-browser', extension: 'js', content: webauthnBrowser },
  { name: 'passkey', extension: 'js', content: () => PAGE_SCRIPT },
];

export const PASSKEY_SCRIPT_NAMES = PASSKEY_ASSETS.map((asset) => asset.name);

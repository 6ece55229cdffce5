/**
 * What the passkey page script (passkey-script.ts) works on, for the sign-in and second-factor
 * pages: the slot its button goes in (its settings in data- attributes) and the hidden form it posts
 * the browser's answer through, with the page's CSRF token. Without JavaScript both stay empty and
 * hidden.
 */
import { CsrfInput } from '../../web/layout';

/** The passkey button's pieces: its scripts, where it asks for options, where its hidden form posts. */
export interface PasskeyForm {
  scripts: readonly string[];
  optionsUrl: string;
  action: string;
}

export interface PasskeySlotProps {
  mode: 'sign-in' | 'second-factor';
  passkey: PasskeyForm;
  /** The button's text. */
  label: string;
  /** What the page says when the browser's ceremony fails. */
  failed: string;
  csrf: string;
  /** The hidden form's fields (names and values; the script fills those left empty). */
  fields: Record<string, string>;
}

export function PasskeySlot({ mode, passkey, label, failed, csrf, fields }: PasskeySlotProps) {
  return (
    <>
      <div class="slot" id="passkey-slot" data-mode={mode} data-options={passkey.optionsUrl} data-label={label} data-failed={failed}></div>
      <form id="passkey-form" method="post" action={passkey.action} hidden>
        <CsrfInput token={csrf} />
        {Object.entries(fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
      </form>
    </>
  );
}

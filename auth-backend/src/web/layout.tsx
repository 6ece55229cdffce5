/**
 * The one layout of every server-rendered page (the provider's hosted pages, the admin console),
 * and the small pieces their forms are made of. JSX rendered to a string by
 * preact-render-to-string: every text and attribute is escaped by default, so a name or a message
 * from the database or the request can never become markup.
 */
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { CSRF_FIELD } from './csrf';

export interface LayoutProps {
  title: string;
  /** Assets.stylesheetHref. */
  stylesheet: string;
  lang?: string;
  /** A page of tables and lists (the admin console) rather than one small form. */
  wide?: boolean;
  /** Scripts from this origin (Assets), progressive enhancement only: every page works without them. */
  scripts?: readonly string[];
  /** Before the main content (the console's navigation). */
  header?: ComponentChildren;
  children: ComponentChildren;
}

export function Layout({ title, stylesheet, lang = 'en', wide = false, scripts = [], header, children }: LayoutProps) {
  return (
    <html lang={lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{title}</title>
        <link rel="stylesheet" href={stylesheet} />
        {scripts.map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body class={wide ? 'wide' : undefined}>
        {header}
        <main id="main">{children}</main>
      </body>
    </html>
  );
}

/** A whole page as HTML. */
export const renderPage = (page: preact.VNode): string => `<!DOCTYPE html>${renderToString(page)}`;

/** A message the page shows after a failed attempt (read by screen readers as it appears). */
export function Alert({ message }: { message: string | undefined }) {
  return message ? (
    <p class="alert" role="alert">
      {message}
    </p>
  ) : null;
}

/** The hidden CSRF input every form carries. */
export const CsrfInput = ({ token }: { token: string }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

export interface FieldProps {
  id: string;
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password';
  autocomplete: string;
  value?: string;
  inputMode?: 'numeric' | 'text';
  required?: boolean;
  autofocus?: boolean;
}

/** A labelled input. */
export function Field({ id, name, label, type = 'text', autocomplete, value, inputMode, required = true, autofocus }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} type={type} autocomplete={autocomplete} value={value} inputMode={inputMode} required={required} autofocus={autofocus} />
    </div>
  );
}

/**
 * The console's frame on the one layout of the service's pages (web/layout.tsx): a skip link, the
 * navigation, who is signed in and the sign-out link, then the page. Times are written in UTC in
 * <time> elements; the local-time script shows them in the browser's locale where it runs.
 */
import type { ComponentChildren, JSX } from 'preact';
import { Alert, Layout } from '../../web/layout';

export type Section = 'users' | 'audit' | 'apps' | 'webhooks';

/** What every console page shows around its content. */
export interface Chrome {
  stylesheet: string;
  script: string;
  /** The signed-in administrator's address; absent on pages shown before or after a console session. */
  who?: string;
}

const SECTIONS: Array<{ id: Section; label: string; href: string }> = [
  { id: 'users', label: 'Users', href: '/console/users' },
  { id: 'audit', label: 'Audit log', href: '/console/audit' },
  { id: 'apps', label: 'Apps', href: '/console/apps' },
  { id: 'webhooks', label: 'Webhooks', href: '/console/webhooks' },
];

export interface ConsolePageProps {
  chrome: Chrome;
  title: string;
  section?: Section;
  /** What the last action did (after its redirect). */
  notice?: string;
  error?: string;
  children?: ComponentChildren;
}

export function ConsolePage({ chrome, title, section, notice, error, children }: ConsolePageProps) {
  const header = (
    <header class="topbar">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav aria-label="Console">
        <strong>Admin console</strong>
        {chrome.who &&
          SECTIONS.map((item) => (
            <a href={item.href} aria-current={item.id === section ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        {chrome.who && (
          <>
            <span class="who">{chrome.who}</span>
            <a href="/console/sign-out">Sign out</a>
          </>
        )}
      </nav>
    </header>
  );
  return (
    <Layout title={`${title} · Admin console`} stylesheet={chrome.stylesheet} scripts={[chrome.script]} wide header={header}>
      <h1>{title}</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <Alert message={error} />
      {children}
    </Layout>
  );
}

/** A time in UTC (ISO date and minutes), rewritten in the browser's locale by the local-time script. */
export function Time({ at }: { at: Date | null | undefined }) {
  if (!at) return <span class="muted">never</span>;
  const iso = at.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>;
}

/** A column of a StackTable: its heading, which also labels each of its cells when the table stacks. */
export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** More attributes of each cell (a class, a title). */
  attributes?: (row: T) => JSX.HTMLAttributes<HTMLTableCellElement>;
}

/**
 * The console's tables: one row per item, which stack into labelled cards on a narrow screen
 * (`table.stack`; each cell carries its column's label in data-label); `empty`, muted, when there
 * is no row.
 */
export function StackTable<T>({ rows, columns, empty, caption }: { rows: readonly T[]; columns: Array<Column<T>>; empty: string; caption?: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class="stack">
      {caption && <caption class="muted">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col">{column.label}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            {columns.map((column) => (
              <td data-label={column.label} {...column.attributes?.(row)}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The "next page" link of a keyset-paged table (the cursor is in `href`); nothing on the last page. */
export function NextPage({ href }: { href: string | undefined }) {
  return href ? (
    <p class="pager">
      <a href={href} rel="next">
        Next page
      </a>
    </p>
  ) : null;
}

/** A page that only says something (403, 404, a sign-in that could not finish), with a way on. */
export interface ConsoleMessageProps {
  chrome: Chrome;
  title: string;
  message: string;
  link?: { href: string; label: string };
  /** An error (an alert) unless false (a plain notice, as after signing out). */
  error?: boolean;
}

export function ConsoleMessage({ chrome, title, message, link, error = true }: ConsoleMessageProps) {
  return (
    <ConsolePage chrome={chrome} title={title} error={error ? message : undefined} notice={error ? undefined : message}>
      {link && (
        <p>
          <a href={link.href}>{link.label}</a>
        </p>
      )}
    </ConsolePage>
  );
}

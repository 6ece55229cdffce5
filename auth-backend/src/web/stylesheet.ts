/**
 * The one stylesheet of the server-rendered pages, served by assets.ts under a name with its
 * content hash. Kept in a module (not a file beside dist/) so the built service, the container and
 * the tests all serve the same bytes. Colours meet WCAG AA contrast; focus is always visible; the
 * layout is one column that fits a phone.
 */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5260; --line: #c3c8d0; --accent: #0b57d0; --accent-ink: #ffffff; --danger: #a4161a; --surface: #ffffff; --page: #f3f5f8; }
*, *::before, *::after { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 100%; line-height: 1.5; color: var(--ink); background: var(--page); }
body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center; padding: 2rem 1rem; }
main { width: 100%; max-width: 26rem; background: var(--surface); border: 1px solid var(--line); border-radius: 0.75rem; padding: 1.75rem 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 0.5rem; line-height: 1.25; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); }
form { margin: 0 0 1rem; }
.field { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input[type=email], input[type=password], input[type=text], input[type=search] { width: 100%; font: inherit; padding: 0.625rem 0.75rem; border: 1px solid #6b7280; border-radius: 0.5rem; background: #fff; color: var(--ink); }
button, .button { display: inline-block; width: 100%; font: inherit; font-weight: 600; padding: 0.625rem 1rem; border-radius: 0.5rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; text-align: center; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
.actions { display: grid; gap: 0.75rem; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.alert { border: 1px solid var(--danger); color: var(--danger); background: #fff5f5; border-radius: 0.5rem; padding: 0.75rem; margin: 0 0 1rem; }
.divider { display: flex; align-items: center; gap: 0.75rem; color: var(--muted); margin: 1.25rem 0; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
ul.scopes { padding-left: 1.25rem; margin: 0 0 1rem; }
.code { font-family: ui-monospace, Menlo, Consolas, monospace; letter-spacing: 0.1em; }
.slot:empty { display: none; }
@media (max-width: 30rem) { body { padding: 0; } main { border: 0; border-radius: 0; min-height: 100vh; } }
/* Wide pages (the admin console): a bar of links, then tables and forms. */
body.wide { display: block; padding: 0; }
.wide main { max-width: 72rem; margin: 1.5rem auto; }
.wide h1 { overflow-wrap: anywhere; }
.wide h2 { font-size: 1.2rem; margin: 1.75rem 0 0.75rem; }
.wide button, .wide .button { width: auto; }
.skip { position: absolute; left: -100rem; }
.skip:focus { left: 1rem; top: 0.5rem; background: var(--surface); padding: 0.5rem; z-index: 1; }
.topbar { background: var(--surface); border-bottom: 1px solid var(--line); }
.topbar nav { max-width: 72rem; margin: 0 auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 1.25rem; padding: 0.5rem 1rem; }
.topbar a { color: var(--accent); font-weight: 600; padding: 0.5rem 0; text-decoration: none; }
.topbar a[aria-current=page] { text-decoration: underline; text-underline-offset: 0.35em; text-decoration-thickness: 2px; }
.topbar .who { margin-left: auto; color: var(--muted); overflow-wrap: anywhere; min-width: 0; }
a { color: var(--accent); }
table { width: 100%; border-collapse: collapse; margin: 0 0 1rem; }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
th { font-weight: 600; white-space: nowrap; }
td a, td .code { overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
select, textarea { width: 100%; font: inherit; padding: 0.5rem 0.75rem; border: 1px solid #6b7280; border-radius: 0.5rem; background: #fff; color: var(--ink); }
.row { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; margin: 0 0 1rem; }
.row .field { margin: 0; flex: 1 1 12rem; max-width: 32rem; }
.row form { margin: 0; }
.check { display: flex; gap: 0.5rem; align-items: center; margin: 0 0 1rem; }
.check label { display: inline; margin: 0; }
button.danger { background: var(--danger); border-color: var(--danger); }
.notice { border: 1px solid #1e6b34; color: #14532d; background: #f0fdf4; border-radius: 0.5rem; padding: 0.75rem; margin: 0 0 1rem; }
.notice h2 { margin-top: 0; }
.secret { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; background: var(--page); border: 1px dashed var(--line); border-radius: 0.5rem; padding: 0.75rem; }
.pager { display: flex; gap: 1rem; margin: 0 0 1rem; }
.danger-zone { border: 1px solid var(--danger); border-radius: 0.75rem; padding: 1rem; }
@media (max-width: 40rem) {
  .wide main { margin: 0; }
  .topbar .who { margin-left: 0; width: 100%; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack thead { position: absolute; left: -100rem; }
  table.stack caption { display: block; text-align: left; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
  table.stack td { border: 0; padding: 0.125rem 0; }
  table.stack td::before { content: attr(data-label) ": "; font-weight: 600; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 0.5rem; }
}
`;

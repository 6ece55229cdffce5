/**
 * Progressive enhancement of server-rendered pages: a page writes each time in UTC inside
 * `<time datetime="ISO">`; where JavaScript runs, this script rewrites it in the browser's locale
 * and time zone (the UTC text stays as the title). Served by assets.ts (CSP: scripts from this
 * origin only, never inline).
 */
export const LOCAL_TIME_SCRIPT = `
document.querySelectorAll('time[datetime]').forEach(function (element) {
  var date = new Date(element.getAttribute('datetime'));
  if (isNaN(date.getTime())) return;
  element.title = element.textContent;
  element.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
});
`;

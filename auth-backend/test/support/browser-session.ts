/**
 * A browser without JavaScript, for tests of server-rendered pages (the provider's hosted pages,
 * the admin console): a cookie jar (tough-cookie, RFC 6265), redirects followed by hand (each hop
 * is visible), and HTML forms read from the page (node-html-parser) and submitted with their hidden
 * fields, as a browser would: `page.form('#id').submit({ email, password })`.
 *
 *   const browser = new BrowserSession();
 *   let page = await browser.open(authorizationUrl);          // follows redirects to the sign-in page
 *   page = await page.form().submit({ email, password });     // POST, then the redirects after it
 *   expect(page.url.href).toMatch(/^https:\/\/app\.test\/callback/);
 */
import { CookieJar } from 'tough-cookie';
import { parse, type HTMLElement } from 'node-html-parser';

export interface Page {
  /** Where the browser ended up (the first URL outside `stopAt`, or the last page). */
  url: URL;
  status: number;
  headers: Headers;
  html: string;
  /** The parsed document (node-html-parser). */
  document: HTMLElement;
  /** Every URL visited on the way, in order (redirects included). */
  hops: string[];
  /** The form matching `selector` (default: the first form that has a submit button). */
  form(selector?: string): Form;
  /** The text of the page, whitespace collapsed. */
  text(): string;
}

export interface Form {
  action: string;
  method: string;
  /** The fields a browser would send: inputs with a name (hidden ones included; boxes when checked), text areas and selects, with their values. */
  fields: Record<string, string>;
  /** Submits the fields, with `values` typed in and the named submit button (if any) pressed. */
  submit(values?: Record<string, string>, button?: { name: string; value: string }): Promise<Page>;
}

export class BrowserSession {
  readonly jar = new CookieJar();

  constructor(
    /** URLs at which a redirect chain stops (e.g. the application's callback, which no server answers in a test). */
    private readonly stopAt: string[] = [],
  ) {}

  /** Where redirect chains stop from now on (an application's redirect URI). */
  stopAtPrefix(prefix: string): void {
    this.stopAt.push(prefix);
  }

  open(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async request(url: string, init: { method: string; body?: URLSearchParams }): Promise<Page> {
    const hops: string[] = [];
    let current = url;
    let method = init.method;
    let body = init.body;
    for (let hop = 0; hop < 20; hop++) {
      hops.push(current);
      if (this.stopAt.some((prefix) => current.startsWith(prefix))) return this.page(current, 0, new Headers(), '', hops);
      const cookie = await this.jar.getCookieString(current);
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), accept: 'text/html' },
        ...(body ? { body: body.toString() } : {}),
      });
      for (const line of response.headers.getSetCookie()) await this.jar.setCookie(line, current, { ignoreError: true });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        // 303 (and 302 after a POST, as browsers do) continue with GET.
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return this.page(current, response.status, response.headers, await response.text(), hops);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private page(url: string, status: number, headers: Headers, html: string, hops: string[]): Page {
    const document = parse(html);
    return {
      url: new URL(url),
      status,
      headers,
      html,
      document,
      hops,
      text: () => document.textContent.replace(/\s+/g, ' ').trim(),
      form: (selector) => this.form(url, document, selector),
    };
  }

  private form(pageUrl: string, document: HTMLElement, selector?: string): Form {
    const element = selector
      ? document.querySelector(selector)
      : document.querySelectorAll('form').find((form) => form.querySelector('button, input[type=submit]'));
    if (!element) throw new Error(`no form ${selector ?? ''} on ${pageUrl}: ${document.textContent.replace(/\s+/g, ' ').slice(0, 300)}`);
    const fields: Record<string, string> = {};
    for (const input of element.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      const type = input.getAttribute('type') ?? 'text';
      // An unchecked box is not sent, as in a browser.
      if ((type === 'checkbox' || type === 'radio') && !input.hasAttribute('checked')) continue;
      if (name && type !== 'submit' && type !== 'button') fields[name] = input.getAttribute('value') ?? (type === 'checkbox' ? 'on' : '');
    }
    for (const textarea of element.querySelectorAll('textarea')) {
      const name = textarea.getAttribute('name');
      if (name) fields[name] = textarea.textContent;
    }
    for (const select of element.querySelectorAll('select')) {
      const name = select.getAttribute('name');
      const options = select.querySelectorAll('option');
      const chosen = options.find((option) => option.hasAttribute('selected')) ?? options[0];
      if (name && chosen) fields[name] = chosen.getAttribute('value') ?? chosen.textContent;
    }
    const action = new URL(element.getAttribute('action') ?? pageUrl, pageUrl).href;
    const method = (element.getAttribute('method') ?? 'get').toUpperCase();
    return {
      action,
      method,
      fields,
      submit: (values = {}, button) => {
        const body = new URLSearchParams({ ...fields, ...values, ...(button ? { [button.name]: button.value } : {}) });
        return method === 'POST' ? this.request(action, { method, body }) : this.open(`${action}${action.includes('?') ? '&' : '?'}${body}`);
      },
    };
  }
}

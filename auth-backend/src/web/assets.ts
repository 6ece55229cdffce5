/**
 * Static assets of the server-rendered pages, served by the service itself (never a CDN) under
 * names that carry a hash of their content: cached for a year by browsers, and a new version is a
 * new name. Pages link them through `Assets.href`.
 */
import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { STYLESHEET } from './stylesheet';
import { LOCAL_TIME_SCRIPT } from './local-time';

interface Asset {
  body: Buffer;
  type: string;
  path: string;
}

const hashed = (name: string, extension: string, text: string, type: string): Asset => {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type, path: `/assets/${name}.${hash}.${extension}` };
};

export class Assets {
  private readonly stylesheet = hashed('site', 'css', STYLESHEET, 'text/css; charset=utf-8');
  private readonly localTime = hashed('local-time', 'js', LOCAL_TIME_SCRIPT, 'text/javascript; charset=utf-8');

  /** Where the one stylesheet is served. */
  get stylesheetHref(): string {
    return this.stylesheet.path;
  }

  /** The script that shows <time> elements in the browser's locale (pages show UTC without it). */
  get localTimeHref(): string {
    return this.localTime.path;
  }

  routes(): RequestHandler {
    const router = Router();
    for (const asset of [this.stylesheet, this.localTime]) {
      router.get(asset.path, (_req, res) => {
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        res.type(asset.type).send(asset.body);
      });
    }
    return router;
  }
}

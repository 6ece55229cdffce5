/**
 * Static assets of the server-rendered pages, served by the service itself (never a CDN) under
 * names that carry a hash of their content: cached for a year by browsers, and a new version is a
 * new name. Pages link them through `Assets.href` (the stylesheet through `stylesheetHref`).
 * Features add their own scripts (`AssetSource`); the layer itself has the stylesheet and the
 * script that shows times in the browser's locale.
 */
import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { STYLESHEET } from './stylesheet';
import { LOCAL_TIME_SCRIPT } from './local-time';

/** One asset a feature serves: a stable name, its extension and type, and its content (read when first asked for). */
export interface AssetSource {
  name: string;
  extension: 'js' | 'css';
  content: () => string;
}

interface Asset {
  body: Buffer;
  type: string;
  path: string;
}

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

const hashed = (name: string, extension: 'js' | 'css', text: string): Asset => {
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type: TYPES[extension], path: `/assets/${name}.${hash}.${extension}` };
};

export class Assets {
  private built: Map<string, Asset> | undefined;

  constructor(private readonly sources: readonly AssetSource[] = []) {}

  /** Where the one stylesheet is served. */
  get stylesheetHref(): string {
    return this.href('site');
  }

  /** The script that shows <time> elements in the browser's locale (pages show UTC without it). */
  get localTimeHref(): string {
    return this.href('local-time');
  }

  /** Where the asset named `name` is served (its hashed path). */
  href(name: string): string {
    const asset = this.all().get(name);
    if (!asset) throw new Error(`no asset named ${name}`);
    return asset.path;
  }

  routes(): RequestHandler {
    const router = Router();
    for (const asset of this.all().values()) {
      router.get(asset.path, (_req, res) => {
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        res.type(asset.type).send(asset.body);
      });
    }
    return router;
  }

  private all(): Map<string, Asset> {
    this.built ??= new Map([
      ['site', hashed('site', 'css', STYLESHEET)],
      ['local-time', hashed('local-time', 'js', LOCAL_TIME_SCRIPT)],
      ...this.sources.map((source): [string, Asset] => [source.name, hashed(source.name, source.extension, source.content())]),
    ]);
    return this.built;
  }
}

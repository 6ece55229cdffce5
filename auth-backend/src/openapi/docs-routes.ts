/**
 * GET /openapi.json and GET /docs: Swagger UI served from this service (swagger-ui-dist), never
 * from a CDN, so the page works offline and under a strict CSP (no inline script).
 */
import path from 'node:path';
import { Router } from 'express';

const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>auth-backend API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/** What PAGE loads from swagger-ui-dist, and nothing else. */
export const DOCS_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js']);

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

export function docsRoutes(document: object): Router {
  const router = Router();
  const json = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(json);
  });
  router.get('/docs', (_req, res) => {
    res.type('text/html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  // Only the files the page loads: never the rest of the package (its package.json, source maps...).
  router.get('/docs/assets/:file', (req, res, next) => {
    const file = req.params.file;
    if (!DOCS_ASSETS.has(file)) return next();
    res.sendFile(path.join(assets, file), { maxAge: '1d', dotfiles: 'deny' }, (error) => error && next(error));
  });
  return router;
}

/**
 * /openapi.json and /docs: the document generated from the request schemas, rendered by
 * swagger-ui-dist's static files served from node_modules (no CDN, works offline).
 */
import Router from '@koa/router';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from '../../tasks/errors.js';
import { firstExisting, sendFile } from './static-files.js';

const SWAGGER_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png', 'favicon-16x16.png']);
const OWN_ASSETS = new Set(['index.html', 'docs-init.js']);

export function docsRouter(document: () => Record<string, unknown>): Router {
  const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const here = dirname(fileURLToPath(import.meta.url));
  const ownDir = firstExisting(join(here, '..', '..', 'web', 'docs'), join(here, '..', '..', '..', 'src', 'web', 'docs'));
  const router = new Router();
  let cached: string | null = null;

  router.get('/openapi.json', (ctx) => {
    cached ??= JSON.stringify(document(), null, 2);
    ctx.type = 'application/json';
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = cached;
  });
  // The router matches /docs and /docs/ alike; the page's relative asset paths need the slash.
  router.get('/docs', async (ctx) => {
    if (ctx.path.endsWith('/')) return sendFile(ctx, ownDir, 'index.html');
    ctx.status = 301;
    ctx.redirect('/docs/');
  });
  router.get('/docs/:asset', async (ctx) => {
    const asset = ctx.params.asset;
    if (OWN_ASSETS.has(asset)) return sendFile(ctx, ownDir, asset);
    if (SWAGGER_ASSETS.has(asset)) return sendFile(ctx, swaggerDir, asset, 86_400);
    throw notFound(`No docs asset named ${asset}.`);
  });
  return router;
}

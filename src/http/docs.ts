import { createRequire } from 'node:module';
import { serveStatic } from '@hono/node-server/serve-static';
import { relative } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';

/**
 * Swagger UI served from the swagger-ui-dist package itself, so /docs works offline (no CDN).
 */
export function mountDocs(app: OpenAPIHono<AppEnv>, specUrl: string): void {
  const require = createRequire(import.meta.url);
  const distDir = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
  // serveStatic resolves `root` against the working directory.
  const root = relative(process.cwd(), distDir) || '.';
  app.get(
    '/docs/assets/*',
    serveStatic({ root, rewriteRequestPath: (path) => path.replace(/^\/docs\/assets/, '') }),
  );
  app.get('/docs', (c) =>
    c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lienthong API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout', persistAuthorization: true });</script>
</body></html>`),
  );
}

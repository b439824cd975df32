/**
 * `npm run openapi` (`lienthong openapi`): writes the OpenAPI document the API serves at /openapi.json to
 * schemas/openapi.json, for clients and reviewers who read the contract without running a node.
 * The routes register against a real runtime (the same database a `npm start` would use: the
 * configured one, or the embedded PostgreSQL), so the file is exactly what a node answers;
 * test/health.test.ts fails when the committed file is behind the code.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigOrReport } from '../config.js';
import { resolveDevelopmentDefaults } from '../dev-defaults.js';
import { createLogger } from '../logger.js';
import { createRuntime } from '../runtime.js';

/** Where the committed contract lives (DESIGN.md §3: schemas/ holds the generated openapi.json). */
export const OPENAPI_FILE = resolve(import.meta.dirname, '../../schemas/openapi.json');

/** The document as committed: two-space JSON with a final newline, so diffs stay readable. */
export const openApiText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** `lienthong openapi`: writes OPENAPI_FILE from a runtime on the configured (or embedded) database. */
export async function writeOpenApi(env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfigOrReport(env, process.stderr);
  if (!config) return 2;
  const logger = createLogger('warn');
  const resolved = await resolveDevelopmentDefaults(config, logger);
  try {
    const runtime = await createRuntime(resolved.config, { migrate: true, logger, roles: { api: true, worker: false } });
    try {
      const res = await runtime.app.request('/openapi.json');
      if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
      writeFileSync(OPENAPI_FILE, openApiText(await res.json()));
      process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
      return 0;
    } finally {
      await runtime.close();
    }
  } finally {
    await resolved.stop();
  }
}


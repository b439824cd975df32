import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiText } from '../src/cli/write-openapi.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * schemas/openapi.json is the contract clients read without running a node (DESIGN.md §3, STYLE.md:
 * generated and committed). It must be what a node serves: after a route changes, `npm run openapi`.
 */
let node: TestNode;
beforeAll(async () => {
  node = await startTestNode();
});
afterAll(async () => node?.close());

describe('schemas/openapi.json', () => {
  it('is the document the API serves at /openapi.json (run `npm run openapi` after changing a route)', async () => {
    const served = await node.call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText(served.json));
  });
});

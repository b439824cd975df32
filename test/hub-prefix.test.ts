import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/** The hub's calls are mounted where LIENTHONG_HUB_PREFIX says, and only there (issue 19). */
let node: TestNode;
beforeAll(async () => {
  node = await startTestNode({ env: { LIENTHONG_HUB_PREFIX: '/lgsp/edoc' } });
});
afterAll(async () => node?.close());

describe('LIENTHONG_HUB_PREFIX', () => {
  it('mounts the calls under the prefix (the SDK answer of an unsigned call), not under /axis, and documents them there', async () => {
    const unsigned = await node.call('POST', '/lgsp/edoc/getAgenciesList');
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('content-type')).toMatch(/^application\/json/);
    expect(unsigned.json).toMatchObject({ status: 'FAIL', ErrorCode: 2, code: 'UNAUTHENTICATED' });
    const elsewhere = await node.call('POST', '/axis/getAgenciesList');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.json.code).toBe('NOT_FOUND');
    const doc = await node.call('GET', '/openapi.json');
    const paths = Object.keys(doc.json.paths as Record<string, unknown>);
    for (const call of ['sendEdoc', 'getReceivedEdocList', 'getEdoc', 'updateStatus', 'getSentEdocList', 'getAgenciesList']) expect(paths).toContain(`/lgsp/edoc/${call}`);
    expect(paths).toContain('/v1/hub-systems');
  });

  it('is a path outside the API’s own', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).hubPrefix).toBe('/axis');
    for (const bad of ['axis', '/axis/', '/v1', '/exchange/axis', '/a b', '/']) {
      expect(() => loadConfig({ NODE_ENV: 'test', LIENTHONG_HUB_PREFIX: bad }), bad).toThrow(/LIENTHONG_HUB_PREFIX/);
    }
  });
});

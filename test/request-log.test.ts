import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { startTestNode, type TestNode } from './support/runtime.js';

/**
 * One log line per request, but the probes and scrapes that arrive every few seconds (/healthz,
 * /readyz, /metrics) at debug, so that at the default level the log shows what people did (issue 15).
 */
let node: TestNode;
const lines: string[] = [];

beforeAll(async () => {
  node = await startTestNode({ roles: { worker: false }, logger: createLogger('debug', {}, { write: (line: string) => void lines.push(line) }) });
});
afterAll(async () => node?.close());

const requestLines = () =>
  lines
    .map((l) => JSON.parse(l) as { level: number; msg: string; path?: string; status?: number })
    .filter((l) => l.msg === 'request');

describe('the request log', () => {
  it('logs /healthz, /readyz and /metrics at debug, every other request at info', async () => {
    await node.call('GET', '/healthz');
    await node.call('GET', '/readyz');
    await node.call('GET', '/metrics', { token: node.adminToken });
    await node.call('GET', '/v1/agencies', { token: node.adminToken });
    await node.call('GET', '/healthz/nothing');
    const byPath = Object.fromEntries(requestLines().map((l) => [l.path, l.level]));
    expect(byPath).toEqual({ '/healthz': 20, '/readyz': 20, '/metrics': 20, '/v1/agencies': 30, '/healthz/nothing': 30 });
  });
});

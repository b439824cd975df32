import { serve, type ServerType } from '@hono/node-server';
import type { TestNode } from './runtime.js';

/** Serves a test node's app on a loopback port (a real second instance for peer tests). */
export class HttpNode {
  private server: ServerType | undefined;
  constructor(
    readonly node: TestNode,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const server = serve({ fetch: this.node.runtime.app.fetch, port: this.port, hostname: '127.0.0.1' }, () => resolve());
      server.on('error', reject);
      this.server = server;
    });
  }

  /** Stops listening (the peer is "down"); the runtime keeps running. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }
}

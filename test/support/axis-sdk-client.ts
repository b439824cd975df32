import { createHash, createHmac, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Loose } from '../acceptance/helpers.js';

/** A DMS's client of the axis SDK, written from AXIS.md alone (test/hub.test.ts, test/hub-routing.test.ts). */
export type Scheme = 'hmac-sha256-v1' | 'hmac-sha256-v2';

export interface Prepared {
  url: string;
  init: { method: string; headers: Record<string, string>; body?: Uint8Array };
}

export interface SdkAnswer {
  status: number;
  json: Loose;
}

/**
 * The DMS's client, from AXIS.md: every call a POST to `<base>/<call>`; the SDK's JSON "header"
 * travels as HTTP headers; sendEdoc's body is multipart with the package in `file_doc`; every request
 * carries `systemid`, `timestamp` and an HMAC-SHA256 signature over the call, its headers and the
 * SHA-256 of its body. The string signed is the one the hub's operator gives (its OpenAPI document):
 * systemid, timestamp, METHOD, /call, [v2: "name:value" for from, servicetype, messagetype, docid,
 * status, filepath when present], sha256hex(body), joined by "\n", base64.
 */
export class AxisSdkClient {
  constructor(
    readonly baseUrl: string,
    readonly systemId: string,
    readonly secret: string,
    readonly scheme: Scheme,
  ) {}

  prepare(call: string, headers: Record<string, string>, file?: Buffer, options: { timestamp?: string; method?: string } = {}): Prepared {
    const method = options.method ?? 'POST';
    const timestamp = options.timestamp ?? new Date().toISOString();
    let body: Buffer = Buffer.alloc(0);
    const wire: Record<string, string> = { ...headers };
    if (file) {
      const boundary = `----sdk${randomBytes(12).toString('hex')}`;
      body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file_doc"; filename="${call}.edxml"\r\nContent-Type: application/xml\r\n\r\n`),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      wire['content-type'] = `multipart/form-data; boundary=${boundary}`;
    }
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const lines = [this.systemId, timestamp, method, `/${call}`];
    if (this.scheme === 'hmac-sha256-v2') {
      for (const name of ['from', 'servicetype', 'messagetype', 'docid', 'status', 'filepath']) if (lower[name] !== undefined) lines.push(`${name}:${lower[name]}`);
    }
    lines.push(createHash('sha256').update(body).digest('hex'));
    const signature = createHmac('sha256', this.secret).update(lines.join('\n')).digest('base64');
    return {
      url: `${this.baseUrl}/${call}`,
      init: { method, headers: { ...wire, systemid: this.systemId, timestamp, signature }, ...(file ? { body: new Uint8Array(body) } : {}) },
    };
  }

  async send(p: Prepared): Promise<SdkAnswer> {
    const res = await fetch(p.url, p.init);
    const text = await res.text();
    let json: Loose;
    try {
      json = JSON.parse(text);
    } catch {
      json = { unparsed: text };
    }
    return { status: res.status, json };
  }

  call(call: string, headers: Record<string, string> = {}, file?: Buffer): Promise<SdkAnswer> {
    return this.send(this.prepare(call, headers, file));
  }

  sendEdoc(from: string, messagetype: 'edoc' | 'status', pkg: Buffer): Promise<SdkAnswer> {
    return this.call('sendEdoc', { from, servicetype: 'eDoc', messagetype }, pkg);
  }

  receivedList(messagetype: 'edoc' | 'status'): Promise<SdkAnswer> {
    return this.call('getReceivedEdocList', { servicetype: 'eDoc', messagetype });
  }

  async getEdoc(docId: string): Promise<Buffer> {
    const answer = await this.call('getEdoc', { docId, filePath: 'xml' });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.status).toBe('OK');
    return Buffer.from(answer.json.data as string, 'base64');
  }

  updateStatus(docId: string, status: 'done' | 'fail' | 'processing', reason?: string): Promise<SdkAnswer> {
    return this.call('updateStatus', { docId, status, ...(reason ? { reason: encodeURIComponent(reason) } : {}) });
  }
}

import { createHash } from 'node:crypto';
import { axisSigner, type AxisSigningKey } from './axis-signing.js';
import { answerJson, partnerFetch, TransportError } from './http-client.js';

/**
 * Client of the provincial/national axis API (shared/AXIS.md): sendEdoc, getReceivedEdocList,
 * getEdoc, updateStatus. Paths, headers and request signing differ between provinces, so all of
 * them come from the partner's credentials.
 */
export interface AxisCredentials extends AxisSigningKey {
  /** Name of a signing scheme in AXIS_SIGNERS (src/transport/axis-signing.ts; default `hmac-sha256-v1`). */
  signing?: string;
  paths?: Partial<Record<'sendEdoc' | 'getReceivedEdocList' | 'getEdoc' | 'updateStatus' | 'getAgenciesList', string>>;
  /** Extra headers every request carries (e.g. an API gateway key). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface AxisListItem {
  docId: string;
  from?: string;
  to?: string;
  status?: string;
  messageType?: string;
}

/** An agency of the axis's directory (getAgenciesList): `pid` is the axis id of its parent. */
export interface AxisAgency {
  id: string;
  code: string;
  name: string;
  mail: string | null;
  pid: string | null;
}

const DEFAULT_PATHS = {
  sendEdoc: '/sendEdoc',
  getReceivedEdocList: '/getReceivedEdocList',
  getEdoc: '/getEdoc',
  updateStatus: '/updateStatus',
  getAgenciesList: '/getAgenciesList',
};

export class AxisClient {
  constructor(
    private readonly baseUrl: string,
    private readonly creds: AxisCredentials,
  ) {
    if (!creds.systemId || !creds.secret) throw new Error('axis credentials need systemId and secret');
  }

  private path(name: keyof typeof DEFAULT_PATHS): string {
    return this.creds.paths?.[name] ?? DEFAULT_PATHS[name];
  }

  private async call(name: keyof typeof DEFAULT_PATHS, headers: Record<string, string>, body?: FormData): Promise<Record<string, unknown>> {
    const path = this.path(name);
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`).toString();
    const bodyBytes = body ? Buffer.from(await new Response(body).arrayBuffer()) : Buffer.alloc(0);
    const signer = axisSigner(this.creds.signing);
    if (!signer) throw new TransportError(`unknown axis signing scheme ${this.creds.signing}`, false);
    const signed = signer(this.creds, {
      method: 'POST',
      path,
      headers,
      bodySha256: createHash('sha256').update(bodyBytes).digest('hex'),
      timestamp: new Date().toISOString(),
    });
    const res = await partnerFetch(url, {
      method: 'POST',
      headers: { ...this.creds.headers, ...headers, ...signed, ...(body ? { 'content-type': new Response(body).headers.get('content-type') ?? '' } : {}) },
      body: body ? bodyBytes : undefined,
      timeoutMs: this.creds.timeoutMs ?? 15_000,
    });
    return answerJson(res, `axis ${name}`);
  }

  /** Sends a package (edoc or status). Returns the axis DocID. `FAIL` → a non-retryable error. */
  async sendEdoc(fromCode: string, messageType: 'edoc' | 'status', bytes: Buffer): Promise<string> {
    const form = new FormData();
    form.append('file_doc', new Blob([new Uint8Array(bytes)], { type: 'application/xml' }), `${messageType}.edxml`);
    const answer = await this.call('sendEdoc', { from: fromCode, servicetype: 'eDoc', messagetype: messageType }, form);
    if (String(answer.status).toUpperCase() !== 'OK') {
      throw new TransportError(`axis sendEdoc: ${String(answer.status)} ${String(answer.ErrorDesc ?? '')}`.trim(), false);
    }
    return String(answer.DocID ?? answer.docId ?? '');
  }

  /** Packages waiting for us, of one message type. */
  async receivedList(messageType: 'edoc' | 'status'): Promise<AxisListItem[]> {
    const answer = await this.call('getReceivedEdocList', { servicetype: 'eDoc', messagetype: messageType });
    const list = (Array.isArray(answer) ? answer : (answer.data ?? answer.items ?? answer.list ?? [])) as Array<Record<string, unknown>>;
    return list
      .map((i) => ({ docId: String(i.docId ?? i.DocID ?? ''), from: i.from as string | undefined, to: i.to as string | undefined, status: i.status as string | undefined, messageType }))
      .filter((i) => i.docId);
  }

  /** One package's bytes (the SDK answers base64 in `data`). */
  async getEdoc(docId: string): Promise<Buffer> {
    const answer = await this.call('getEdoc', { docId, filePath: 'xml' });
    const data = answer.data ?? answer.content;
    if (typeof data !== 'string' || !data) throw new TransportError(`axis getEdoc ${docId}: no data`, true);
    return Buffer.from(data, 'base64');
  }

  /**
   * The axis's directory (getAgenciesList): `{ id, code, name, mail, pid }` per agency, as a list or
   * inside `data` (provinces differ). Entries without a code are left out.
   */
  async agenciesList(): Promise<AxisAgency[]> {
    const answer = await this.call('getAgenciesList', {});
    const list = (Array.isArray(answer) ? answer : (answer.data ?? answer.items ?? answer.list ?? answer.agencies ?? [])) as Array<Record<string, unknown>>;
    if (!Array.isArray(list)) throw new TransportError('axis getAgenciesList: the answer holds no list of agencies', false);
    const text = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v).trim());
    return list
      .map((a) => ({ id: text(a.id) ?? '', code: text(a.code) ?? '', name: text(a.name) ?? '', mail: text(a.mail), pid: text(a.pid) }))
      .filter((a) => a.code);
  }

  /** Transport acknowledgement of the axis's copy: done, fail (with reason) or processing. */
  async updateStatus(docId: string, status: 'done' | 'fail' | 'processing', reason?: string): Promise<void> {
    const answer = await this.call('updateStatus', { docId, status, ...(reason ? { reason: encodeURIComponent(reason.slice(0, 500)) } : {}) });
    if (answer.status !== undefined && String(answer.status).toUpperCase() !== 'OK') {
      throw new TransportError(`axis updateStatus ${docId}: ${String(answer.status)} ${String(answer.ErrorDesc ?? '')}`, true);
    }
  }
}

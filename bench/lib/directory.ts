/**
 * Builds the directory of a scenario through the API, as an administrator would:
 *
 *   POST /v1/trust-anchors                    the bench CA (once per database)
 *   POST /v1/agencies                         a district and its communes (parentCode)
 *   POST /v1/agencies/{code}/certificates     { certificatePem, privateKeyPem } — the agency's own key
 *   POST /v1/users                            a clerk for each sending agency
 *
 * Why uploaded keys rather than `{}` (the node CA generating a key): RSA-2048 key generation takes
 * ~320 ms of CPU here, so 1,000 communes would spend ~5 minutes in setup. The bench generates a small
 * pool of keys once per run and issues one certificate per agency from a bench CA the node trusts;
 * every agency still has its own certificate (own id, own cached signer, own registry row), so the
 * delivery path does exactly the work it does with node-issued certificates.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { generateCa, issueAgencyCertificate, type CaMaterial } from '../../src/crypto/ca.js';
import { expectStatus, type Api } from './api.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface BenchPki {
  ca: CaMaterial;
  keys: Array<{ publicKeyPem: string; privateKeyPem: string }>;
}

/** The bench CA and a pool of agency keys (generated in the libuv pool, in parallel). */
export async function createBenchPki(poolSize = 4): Promise<BenchPki> {
  const ca = generateCa({ commonName: 'lienthong bench CA', validityDays: 3, organization: 'lienthong bench' });
  const keys = await Promise.all(
    Array.from({ length: poolSize }, () =>
      generateKeyPairAsync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      }),
    ),
  );
  return { ca, keys: keys.map((k) => ({ publicKeyPem: k.publicKey, privateKeyPem: k.privateKey })) };
}

/** District `000.00.FF.H33`; commune n (1…9,999) `NNN.NN.FF.H33` — the QCVN 102 shape XXX.YY.ZZ.Lnn. */
export function codes(family: number): { district: string; commune(n: number): string } {
  const ff = String(family).padStart(2, '0');
  return {
    district: `000.00.${ff}.H33`,
    commune: (n) => `${String(Math.floor(n / 100)).padStart(3, '0')}.${String(n % 100).padStart(2, '0')}.${ff}.H33`,
  };
}

export interface Directory {
  district: { code: string; clerk: string };
  communes: string[];
}

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(runners);
  return out;
}

/**
 * One district (with a clerk) and `communes` communes under it, every agency with a certificate.
 * `concurrency` parallel API calls for the communes.
 */
export async function createDirectory(
  api: Api,
  admin: string,
  pki: BenchPki,
  opts: { family: number; communes: number; concurrency?: number },
): Promise<Directory> {
  const c = codes(opts.family);
  expectStatus(await api.call('POST', '/v1/trust-anchors', { token: admin, body: { certificatePem: pki.ca.certificatePem } }), 201, 'add the bench CA');
  let k = 0;
  const agency = async (code: string, name: string, level: string, parentCode?: string) => {
    expectStatus(
      await api.call('POST', '/v1/agencies', { token: admin, body: { code, name, level, ...(parentCode ? { parentCode } : {}) } }),
      201,
      `create agency ${code}`,
    );
    const key = pki.keys[k++ % pki.keys.length]!;
    const issued = issueAgencyCertificate(pki.ca, { agencyCode: code, agencyName: name, validityDays: 2, publicKeyPem: key.publicKeyPem });
    expectStatus(
      await api.call('POST', `/v1/agencies/${code}/certificates`, {
        token: admin,
        body: { certificatePem: issued.certificatePem, privateKeyPem: key.privateKeyPem },
      }),
      201,
      `certificate of ${code}`,
    );
  };
  await agency(c.district, `UBND huyện bench ${opts.family}`, 'district');
  const user = expectStatus(
    await api.call('POST', '/v1/users', { token: admin, body: { agencyCode: c.district, name: 'Văn thư huyện (bench)', roles: ['clerk'] } }),
    201,
    'create the clerk',
  );
  const communes = Array.from({ length: opts.communes }, (_, i) => c.commune(i + 1));
  await pool(communes, opts.concurrency ?? 4, (code, i) => agency(code, `UBND xã bench ${i + 1}`, 'commune', c.district));
  return { district: { code: c.district, clerk: user.json.token as string }, communes };
}

/** Today in Asia/Ho_Chi_Minh (the service's default promulgation date). */
function todayInVietnam(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** A directive body (API.md), small: the throughput scenarios measure the pipeline, not base64. */
export function directiveBody(to: string[], n: number, attachment?: { name: string; contentType: string; contentBase64: string }): Record<string, unknown> {
  return {
    type: 'CT',
    notation: 'CT-UBND',
    subject: `V/v triển khai dịch vụ công trực tuyến toàn trình (bench ${n})`,
    content: 'Văn bản thử tải (benchmark).',
    promulgation: { place: 'Kiên Lương', date: todayInVietnam() },
    signer: { fullName: 'Nguyễn Văn A', position: 'Chủ tịch', competence: 'TM.' },
    priority: 0,
    confidentiality: 'normal',
    steeringType: 2,
    to,
    toPlaces: ['Lưu: VT'],
    attachments: attachment ? [attachment] : [],
  };
}

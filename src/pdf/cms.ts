/**
 * The CMS SignedData that goes into a PAdES signature's /Contents (PAdES baseline B-B, ETSI EN 319
 * 142-1 §6.3, built on CAdES, ETSI EN 319 122-1): detached (the PDF bytes are not inside), SHA-256,
 * RSA PKCS#1 v1.5, and three signed attributes:
 * - content-type = id-data and message-digest = SHA-256 of the covered bytes (RFC 5652 §11.1–11.2);
 * - ESS signing-certificate-v2 (RFC 5035): the hash of the signer's certificate, signed with the rest,
 *   so that another certificate for the same key (a re-issued one, a forged one from a careless CA)
 *   cannot be swapped in and claim the signature. PAdES B-B requires it.
 * No signing-time attribute: PAdES carries the claimed time in the signature dictionary's /M and
 * says the CMS signing-time attribute shall not be present.
 *
 * The DER is written by hand (a few TLVs): the certificates are copied into the structure byte for
 * byte, the issuer Name included, so nothing is decoded and re-encoded on the way (node-forge's
 * certificate objects re-encode UTF-8 names, see src/crypto/ca.ts). The RSA signature is made by the
 * caller's `CmsSigner` — the `PackageSigner` port of src/crypto — so no private key comes here.
 */
import { createHash } from 'node:crypto';
import { pemToDer } from '../crypto/certificates.js';

/** Signs bytes with RSA-SHA256 PKCS#1 v1.5 for one certificate (src/crypto's `PackageSigner` fits). */
export interface CmsSigner {
  readonly certificatePem: string;
  sign(data: Buffer): Buffer;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

// ---- DER writing ----

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const octetString = (value: Buffer) => tlv(0x04, value);
const integer = (value: number) => tlv(0x02, Buffer.from([value]));
const nullValue = Buffer.from([0x05, 0x00]);

/** SET OF in DER: the elements sorted by their encodings (X.690 §11.6). */
const setOf = (elements: Buffer[]) => tlv(0x31, ...[...elements].sort(Buffer.compare));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const arcs = [first! * 40 + second!, ...rest];
  const out: number[] = [];
  for (const arc of arcs) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const algorithm = (dotted: string, parameters?: Buffer) => sequence(oid(dotted), ...(parameters ? [parameters] : []));
const attribute = (type: string, value: Buffer) => sequence(oid(type), setOf([value]));

// ---- DER reading: just enough to take the issuer and serial number out of a certificate ----

interface Element {
  readonly tag: number;
  /** The whole element, header included. */
  readonly raw: Buffer;
  readonly content: Buffer;
}

function readElement(buf: Buffer, at: number): Element {
  const tag = buf[at];
  let len = buf[at + 1];
  if (tag === undefined || len === undefined) throw new Error('truncated DER');
  let header = 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count < 1 || count > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + (buf[at + 2 + i] ?? 0);
    header += count;
  }
  if (at + header + len > buf.length) throw new Error('truncated DER');
  return { tag, raw: buf.subarray(at, at + header + len), content: buf.subarray(at + header, at + header + len) };
}

function children(element: Element): Element[] {
  const out: Element[] = [];
  for (let at = 0; at < element.content.length; ) {
    const child = readElement(element.content, at);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

/** The issuer Name and serialNumber INTEGER of a certificate, as their exact DER encodings. */
function issuerAndSerial(certDer: Buffer): { issuer: Buffer; serial: Buffer } {
  const tbs = children(readElement(certDer, 0))[0];
  if (!tbs) throw new Error('not a certificate');
  const fields = children(tbs);
  // TBSCertificate: [0] version (present in v3), serialNumber, signature, issuer, …
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) throw new Error('not a certificate');
  return { issuer: issuer.raw, serial: serial.raw };
}

// ---- SignedData ----

const sha256 = (data: Buffer | Buffer[]) => {
  const hash = createHash('sha256');
  for (const part of Array.isArray(data) ? data : [data]) hash.update(part);
  return hash.digest();
};

/**
 * ESS SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with one ESSCertIDv2:
 * hashAlgorithm left out (its DEFAULT is SHA-256, and DER omits defaults), certHash, and
 * issuerSerial { issuer GeneralNames { [4] directoryName }, serialNumber }.
 */
function signingCertificateV2(certDer: Buffer): Buffer {
  const { issuer, serial } = issuerAndSerial(certDer);
  const issuerSerial = sequence(sequence(tlv(0xa4, issuer)), serial);
  return sequence(sequence(sequence(octetString(sha256(certDer)), issuerSerial)));
}

export interface SignedDataOptions {
  /** The signer: its certificate goes first into `certificates`, its key signs. */
  readonly signer: CmsSigner;
  /** Other certificates to carry, so a verifier can build the path (intermediates, optionally the root). */
  readonly chainPem?: readonly string[];
}

/**
 * A DER ContentInfo holding a detached SignedData over `content` (the PDF bytes a /ByteRange covers,
 * given as its pieces so they need not be copied into one buffer).
 */
export function buildCadesSignedData(content: Buffer | Buffer[], opts: SignedDataOptions): Buffer {
  const certDer = pemToDer(opts.signer.certificatePem);
  const chainDer = (opts.chainPem ?? []).map((pem) => pemToDer(pem)).filter((der) => !der.equals(certDer));
  const signedAttributes = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octetString(sha256(content))),
    attribute(OID.signingCertificateV2, signingCertificateV2(certDer)),
  ];
  // The signature is over the attributes encoded as a SET OF (RFC 5652 §5.4), not as the [0] IMPLICIT
  // field they are stored in: same content, different first byte.
  const toBeSigned = setOf(signedAttributes);
  const signature = opts.signer.sign(toBeSigned);
  const { issuer, serial } = issuerAndSerial(certDer);
  const signerInfo = sequence(
    integer(1), // version 1: the signer is identified by issuer and serial number
    sequence(issuer, serial),
    algorithm(OID.sha256),
    Buffer.concat([Buffer.from([0xa0]), toBeSigned.subarray(1)]), // [0] IMPLICIT SET OF Attribute
    algorithm(OID.sha256WithRsa, nullValue),
    octetString(signature),
  );
  const signedData = sequence(
    integer(1),
    setOf([algorithm(OID.sha256)]),
    sequence(oid(OID.data)), // encapContentInfo without eContent: detached
    tlv(0xa0, ...[certDer, ...chainDer]), // [0] IMPLICIT CertificateSet
    setOf([signerInfo]),
  );
  return sequence(oid(OID.signedData), tlv(0xa0, signedData));
}

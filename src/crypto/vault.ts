import { assertKeyMatchesCertificate, derToPem, importPkcs12, pemToDer } from './certificates.js';
import { generateCa, issueAgencyCertificate, issuePersonalCertificate, type CaMaterial } from './ca.js';
import { decryptPrivateKey, encryptPrivateKey } from './keys.js';
import type { RsaThread } from './rsa-pool.js';
import { createPackageSigner, type PackageSigner } from './signer.js';

/** A key pair as the rest of the service sees it: the certificate, and the key only encrypted. */
export interface SealedKeyPair {
  certificatePem: string;
  privateKeyEncrypted: string;
}

const MAX_CACHED_SIGNERS = 1_000;

/**
 * The one place where private keys exist in clear (DESIGN.md §2: keys never leave src/crypto).
 * Callers hand in and get back encrypted blobs; signing goes through PackageSigner objects whose
 * KeyObject is created once and cached (node-forge RSA is ~80× slower than a native KeyObject).
 * Replacing this class is the HSM / remote-signer seam.
 */
export class KeyVault {
  private readonly signers = new Map<string, PackageSigner>();

  /** `rsa`: the key thread that makes signatures off the event loop (a server has one). */
  constructor(
    private readonly masterKey: Buffer,
    private readonly rsa?: RsaThread,
  ) {}

  /** Encrypts a private key after checking that it belongs to `certificatePem`. */
  sealPrivateKey(certificatePem: string, privateKeyPem: string): string {
    assertKeyMatchesCertificate(certificatePem, privateKeyPem);
    return encryptPrivateKey(privateKeyPem, this.masterKey);
  }

  /** A new CA (the node's own, when no development CA is on disk). */
  createCa(commonName: string, validityDays: number): SealedKeyPair {
    const ca = generateCa({ commonName, validityDays, organization: 'lienthong' });
    return { certificatePem: ca.certificatePem, privateKeyEncrypted: encryptPrivateKey(ca.privateKeyPem, this.masterKey) };
  }

  /** Seals a CA that exists in clear elsewhere (the development CA in certs/dev/). */
  sealCa(ca: CaMaterial): SealedKeyPair {
    return { certificatePem: ca.certificatePem, privateKeyEncrypted: this.sealPrivateKey(ca.certificatePem, ca.privateKeyPem) };
  }

  /** Issues an agency key and certificate from a sealed CA. */
  issueAgencyCertificate(
    ca: SealedKeyPair,
    agency: { agencyCode: string; agencyName: string; validityDays: number },
  ): SealedKeyPair {
    const issued = issueAgencyCertificate(
      { certificatePem: ca.certificatePem, privateKeyPem: decryptPrivateKey(ca.privateKeyEncrypted, this.masterKey) },
      agency,
    );
    if (!issued.privateKeyPem) throw new Error('the CA issued a certificate without generating its key');
    return { certificatePem: issued.certificatePem, privateKeyEncrypted: encryptPrivateKey(issued.privateKeyPem, this.masterKey) };
  }

  /** Issues a person's signing key and certificate (a leader's, for remote signing) from a sealed CA. */
  issuePersonalCertificate(ca: SealedKeyPair, person: { fullName: string; organisation?: string; validityDays: number }): SealedKeyPair {
    const issued = issuePersonalCertificate({ certificatePem: ca.certificatePem, privateKeyPem: decryptPrivateKey(ca.privateKeyEncrypted, this.masterKey) }, person);
    if (!issued.privateKeyPem) throw new Error('the CA issued a certificate without generating its key');
    return { certificatePem: issued.certificatePem, privateKeyEncrypted: encryptPrivateKey(issued.privateKeyPem, this.masterKey) };
  }

  /** Imports a PKCS#12 file: the certificate, its chain, and the key sealed. */
  importPkcs12(file: Buffer, password: string): SealedKeyPair & { chainPem: string[] } {
    const content = importPkcs12(file, password);
    return {
      certificatePem: content.certificatePem,
      privateKeyEncrypted: this.sealPrivateKey(content.certificatePem, content.privateKeyPem),
      chainPem: [...content.chainPem],
    };
  }

  /** The signer of a stored certificate; made once per certificate id and kept (bounded). */
  signer(certificateId: string, pair: SealedKeyPair): PackageSigner {
    const cached = this.signers.get(certificateId);
    if (cached) return cached;
    const privateKeyPem = decryptPrivateKey(pair.privateKeyEncrypted, this.masterKey);
    const signer = this.rsa ? threadSigner(this.rsa, certificateId, pair.certificatePem, privateKeyPem) : createPackageSigner(pair.certificatePem, privateKeyPem);
    if (this.signers.size >= MAX_CACHED_SIGNERS) {
      const oldest = this.signers.keys().next().value;
      if (oldest !== undefined) this.signers.delete(oldest);
    }
    this.signers.set(certificateId, signer);
    return signer;
  }
}

/**
 * A signer whose signatures are made in the key thread (`signLater`), its key opened there. The key
 * is opened here too only if a signature is asked for synchronously (`sign`: the CLI, tools); either
 * place refuses a key that is not RSA ≥ 2048 bits or not the certificate's, at its first signature.
 */
function threadSigner(rsa: RsaThread, keyId: string, certificatePem: string, privateKeyPem: string): PackageSigner {
  const certPem = derToPem(pemToDer(certificatePem));
  let here: PackageSigner | undefined;
  return Object.freeze({
    certificatePem: certPem,
    sign: (data: Buffer): Buffer => (here ??= createPackageSigner(certPem, privateKeyPem)).sign(data),
    signLater: (data: Buffer): Promise<Buffer> => rsa.sign(keyId, { certificatePem: certPem, privateKeyPem }, data),
  });
}

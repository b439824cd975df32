/**
 * The key thread (rsa-pool.ts): makes the RSA signatures of the packages this node signs, so that
 * neither the RSA operation (~0.3 ms each) nor the parsing of a key (~0.7 ms, once per key: a
 * directive to 10,000 communes opens 10,000) runs on the event loop that serves HTTP and the jobs
 * (issues 11 and 16). Keys come here from the KeyVault of the same process and never leave: this file
 * is src/crypto's (DESIGN.md §2). It reads nothing else and answers only its parent.
 */
import { parentPort } from 'node:worker_threads';
import { DomainError } from '../errors.js';
import type { RsaReply, RsaRequest } from './rsa-pool.js';
import { createPackageSigner, type PackageSigner } from './signer.js';

const port = parentPort;
if (!port) throw new Error('rsa-thread runs only as a worker thread');

/** Opened keys by the vault's key id, the most recently used last (bounded like the vault's). */
const signers = new Map<string, PackageSigner>();
const MAX_KEYS = 1_000;

function signerFor(request: RsaRequest): PackageSigner {
  let signer = signers.get(request.keyId);
  if (signer) signers.delete(request.keyId);
  // createPackageSigner refuses a key that is not RSA ≥ 2048 bits or not the certificate's.
  else signer = createPackageSigner(request.certificatePem, request.privateKeyPem);
  signers.set(request.keyId, signer);
  if (signers.size > MAX_KEYS) signers.delete(signers.keys().next().value!);
  return signer;
}

port.on('message', (request: RsaRequest) => {
  let reply: RsaReply;
  try {
    const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    reply = { id: request.id, signature: new Uint8Array(signerFor(request).sign(data)) };
  } catch (error) {
    reply = { id: request.id, error: { message: error instanceof Error ? error.message : String(error), ...(error instanceof DomainError ? { code: error.code } : {}) } };
  }
  port.postMessage(reply);
});

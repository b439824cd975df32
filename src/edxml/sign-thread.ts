/**
 * A thread of the SigningPool (sign-pool.ts): canonicalises, digests and self-checks our signatures
 * (signPackageAsync, DOM-free), and checks received packages (checkPackageXml), off the main thread
 * and within a heap cap. It never holds a key: the RSA step is asked of the main thread, where the
 * PackageSigner port lives (DESIGN.md §2).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '../errors.js';
import type { XmlLimits } from './harden.js';
import type { ThreadReply, ThreadRequest } from './sign-pool.js';
import { checkPackageXmlLeavingRuns } from './verify-package.js';
import { signPackageWithPayloads } from './sign-payloads.js';
import { signPackageAsync, type AsyncPackageSigner } from './xmldsig.js';

const port = parentPort;
if (!port) throw new Error('sign-thread runs only as a worker thread');
const limits = (workerData as { limits?: Partial<XmlLimits> } | undefined)?.limits;

/** RSA answers awaited from the main thread, by task id. */
const waiting = new Map<number, { resolve: (signature: Buffer) => void; reject: (error: Error) => void }>();

const reply = (message: ThreadReply): void => port.postMessage(message);

port.on('message', (message: ThreadRequest) => {
  switch (message.type) {
    case 'sign': {
      const { id, xml, certificatePem } = message;
      signPackageAsync(xml, signerFor(id, certificatePem), limits).then(
        (signed) => reply({ type: 'signed', id, xml: signed }),
        (error: unknown) => reply({ type: 'failed', id, error: describe(error) }),
      );
      break;
    }
    case 'sign-payloads': {
      const { id, xml, certificatePem, payloads } = message;
      signPackageWithPayloads(xml, payloads, signerFor(id, certificatePem), limits).then(
        // The package's own memory moves to the main thread without a copy.
        (bytes) => port.postMessage({ type: 'signed-bytes', id, bytes } satisfies ThreadReply, [bytes.buffer as ArrayBuffer]),
        (error: unknown) => reply({ type: 'failed', id, error: describe(error) }),
      );
      break;
    }
    case 'check': {
      try {
        reply({ type: 'checked', id: message.id, result: checkPackageXmlLeavingRuns(message.bytes, message.options) });
      } catch (error) {
        reply({ type: 'failed', id: message.id, error: describe(error) });
      }
      break;
    }
    case 'rsa': {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (!pending) break;
      if (message.signature) pending.resolve(Buffer.from(message.signature));
      else pending.reject(new Error(message.error ?? 'the signer failed'));
      break;
    }
  }
});

/** The PackageSigner port as a thread sees it: the RSA step is asked of the main thread. */
function signerFor(id: number, certificatePem: string): AsyncPackageSigner {
  return {
    certificatePem,
    sign: (data: Buffer) =>
      new Promise<Buffer>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        reply({ type: 'rsa', id, data });
      }),
  };
}

function describe(error: unknown): { message: string; code?: DomainError['code']; status?: number } {
  if (error instanceof DomainError) return { message: error.message, code: error.code, status: error.status };
  return { message: error instanceof Error ? error.message : String(error) };
}

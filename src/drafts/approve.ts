import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAudit } from '../audit/audit.repository.js';
import type { PkiService } from '../certificates/pki.service.js';
import { splitPemCertificates } from '../crypto/certificates.js';
import { findAgency } from '../directory/directory.repository.js';
import type { Clerk } from '../documents/documents.service.js';
import { DomainError } from '../errors.js';
import { commonNameOf } from '../pdf/sign-appearance.js';
import { signPdf } from '../pdf/sign.js';
import { verifyPdfSignatures, type PdfSignatureReport } from '../pdf/verify.js';
import type { DraftApproval, LeaderSignatureValue, SignatureBoxValue } from './draft.entity.js';
import { activeSignerKey, draftFiles, findOwnDraft, findStampTemplate } from './drafts.repository.js';
import { sameContentAsDraft } from './pdf-checks.js';
import { assertDraftMove, moveDraft } from './states.js';
import { draftView, type DraftView } from './views.js';
import { promulgationPlace } from '../directory/place.js';

/**
 * Step 2, the leader (role `signer`) approves a draft with a personal signature in its PDF (NĐ 30
 * Điều 5: the competent person signs first), in one of two ways:
 * - the node signs with the leader's key it keeps for that purpose (a remote-signing model: the key
 *   is sealed at rest and only src/crypto opens it);
 * - the leader signed the draft's PDF with their own token and uploads it: accepted only when it is
 *   this draft's exact bytes followed by an incremental signature that is the leader's, valid,
 *   trusted and covering the whole file, with the pages unchanged.
 */

/** Approves with the key the node keeps for the leader; `box` is where the signature shows (else the agency template's). */
export async function approveWithNodeKey(em: EntityManager, pki: PkiService, leader: Clerk, id: string, box: SignatureBoxValue | undefined, now = new Date()): Promise<DraftView> {
  const agencyCode = leader.principal.agencyCode;
  const draft = await findOwnDraft(em, agencyCode, id);
  assertDraftMove(draft, 'approved');
  const key = await activeSignerKey(em, leader.principal.id);
  if (!key || key.notBefore > now || key.notAfter <= now) {
    throw new DomainError(
      'VALIDATION_FAILED',
      key
        ? `Your signing key kept on this node is valid from ${key.notBefore.toISOString()} to ${key.notAfter.toISOString()}, not now: an administrator issues a new one (POST /v1/users/${leader.principal.id}/signing-key).`
        : `You have no signing key kept on this node: an administrator issues one (POST /v1/users/${leader.principal.id}/signing-key), or sign the PDF with your own token and upload it.`,
      {
        vi: key
          ? 'Khóa ký số của lãnh đạo lưu trên hệ thống đã hết hạn hoặc chưa có hiệu lực: hãy đề nghị quản trị viên cấp khóa mới.'
          : 'Lãnh đạo chưa có khóa ký số lưu trên hệ thống: hãy đề nghị quản trị viên cấp khóa, hoặc ký số tệp PDF bằng thiết bị ký số của mình rồi tải lên bản đã ký.',
      },
    );
  }
  const place = box ?? (await findStampTemplate(em, agencyCode))?.template.signature;
  if (!place) {
    throw new DomainError('VALIDATION_FAILED', "Where the leader's signature goes is not known: give `signatureBox`, or set the agency's stamp template with a `signature` box.", {
      errors: [{ path: 'signatureBox', message: 'is required when the agency template has no signature box', vi: 'là bắt buộc khi mẫu cấp số của cơ quan chưa có vị trí chữ ký' }],
      vi: 'Chưa biết đặt chữ ký của lãnh đạo ở đâu: hãy chỉ ra vị trí chữ ký, hoặc khai báo vị trí chữ ký trong mẫu cấp số của cơ quan.',
    });
  }
  const [pdf] = await draftFiles(em, draft.id);
  const agency = await findAgency(em, agencyCode);
  const signer = pki.nodeIdentitySigner(`signer-key:${key.id}`, { certificatePem: key.certificatePem, privateKeyEncrypted: key.privateKeyEncrypted });
  const signed = await signPdf(pdf!.content, {
    signer,
    chainPem: splitPemCertificates(key.chainPem),
    role: 'person',
    appearance: { page: place.page, rect: { x: place.x, y: place.y, width: place.width, height: place.height } },
    signingTime: now,
    reason: 'Phê duyệt',
    location: agency ? promulgationPlace(agency) : agencyCode,
  });
  const leaderSignature: LeaderSignatureValue = {
    signer: commonNameOf(key.certificatePem),
    subject: key.subject,
    issuer: key.issuer,
    fingerprintSha256: key.fingerprintSha256,
    signedAt: now.toISOString(),
  };
  return recordApproval(em, leader, id, pdf!.sha256, signed, 'node-signed', leaderSignature, now);
}

/** Approves with the PDF the leader signed with their own token (see checkLeaderSignedPdf). */
export async function approveWithSignedPdf(em: EntityManager, pki: PkiService, leader: Clerk, id: string, signed: Buffer, now = new Date()): Promise<DraftView> {
  const draft = await findOwnDraft(em, leader.principal.agencyCode, id);
  assertDraftMove(draft, 'approved');
  const [pdf] = await draftFiles(em, draft.id);
  const { anchors } = await pki.trust(em);
  const leaderSignature = await checkLeaderSignedPdf(
    pdf!.content,
    signed,
    anchors.map((a) => a.certificatePem),
    now,
  );
  return recordApproval(em, leader, id, pdf!.sha256, signed, 'uploaded-signed', leaderSignature, now);
}

/** Writes the approval under the draft's row lock, refusing it when another approval or a withdrawal came first. */
async function recordApproval(
  em: EntityManager,
  leader: Clerk,
  id: string,
  draftSha256: string,
  signed: Buffer,
  approval: DraftApproval,
  leaderSignature: LeaderSignatureValue,
  now: Date,
): Promise<DraftView> {
  return em.transactional(async (tx) => {
    const draft = await findOwnDraft(tx, leader.principal.agencyCode, id, { lock: true });
    moveDraft(draft, 'approved', now);
    const sha256 = createHash('sha256').update(signed).digest('hex');
    Object.assign(draft, { approval, approvedBy: leader.principal.id, approvedAt: now, leaderSignature, signedPdf: signed, signedSha256: sha256 });
    recordAudit(tx, {
      actor: leader.principal,
      action: 'draft.approved',
      subjectType: 'draft',
      subjectId: draft.id,
      details: { approval, draftSha256, signedSha256: sha256, signer: leaderSignature.signer, certificate: leaderSignature.fingerprintSha256 },
      requestId: leader.requestId,
    });
    await tx.flush();
    const files = await draftFiles(tx, draft.id);
    return draftView(draft, files);
  });
}

const PROBLEM_VI: Readonly<Record<string, string>> = {
  'untrusted-chain': 'chứng thư số không chuỗi được tới tổ chức cấp chứng thư mà hệ thống tin cậy',
  expired: 'chứng thư số đã hết hạn vào lúc ký',
  'not-yet-valid': 'chứng thư số chưa có hiệu lực vào lúc ký',
  'key-usage': 'chứng thư số không dùng để ký',
};

/** A refusal of the leader-signed PDF, in both languages, naming the verifier's problem codes. */
function refused(code: 'SIGNATURE_INVALID' | 'CERTIFICATE_UNTRUSTED', en: string, vi: string, problems: readonly string[] = []): DomainError {
  return new DomainError(code, `${en}${problems.length ? ` (${problems.join(', ')})` : ''}`, { vi, extensions: problems.length ? { problems: [...problems] } : undefined });
}

/**
 * Whether `signed` is the leader's signature over exactly this draft, and whose. In order:
 * 1. the draft's exact bytes begin the file and something follows them (an incremental update over
 *    OUR draft: nothing of it rewritten);
 * 2. the verifier (src/pdf/verify.ts, against the node's trust anchors) finds the last signature a
 *    signature (not a timestamp) that covers the whole file, by a personal certificate, intact and
 *    trusted at its signing time;
 * 3. the pages show what the draft showed (no content redrawn in the update before the signature).
 * Returns who signed; 422 SIGNATURE_INVALID or CERTIFICATE_UNTRUSTED with the reason otherwise.
 */
export async function checkLeaderSignedPdf(draft: Buffer, signed: Buffer, trustAnchors: readonly string[], now = new Date()): Promise<LeaderSignatureValue> {
  if (signed.length <= draft.length || !signed.subarray(0, draft.length).equals(draft)) {
    throw refused(
      'SIGNATURE_INVALID',
      "The signed PDF is not this draft followed by a signature: sign the PDF of GET /v1/drafts/{id}/pdf as it is, with a signature appended as an incremental update (the draft's bytes unchanged).",
      'Tệp PDF đã ký không phải là chính dự thảo này kèm chữ ký số: hãy ký số đúng tệp PDF tải về từ dự thảo, theo cách ký bổ sung (không sửa nội dung tệp).',
    );
  }
  const verdict = verifyPdfSignatures(signed, { trustAnchors, now });
  const last: PdfSignatureReport | undefined = verdict.signatures.at(-1);
  if (!last || last.kind !== 'signature') {
    throw refused('SIGNATURE_INVALID', 'The uploaded PDF ends with no signature.', 'Tệp PDF tải lên không có chữ ký số ở cuối.', verdict.problems);
  }
  if (!last.coversWholeFile) {
    throw refused(
      'SIGNATURE_INVALID',
      'The last signature does not cover the whole file: something was added after it.',
      'Chữ ký số cuối cùng không bao trùm toàn bộ tệp: có nội dung được thêm vào sau khi ký.',
      last.problems,
    );
  }
  if (last.role !== 'person') {
    throw refused(
      'SIGNATURE_INVALID',
      `The last signature is ${last.signer ?? 'an unnamed signer'}'s, made with an organisation's certificate: the leader signs with a personal certificate.`,
      `Chữ ký số cuối cùng là của ${last.signer ?? 'một chứng thư không tên'}, dùng chứng thư số của tổ chức; lãnh đạo phải ký bằng chứng thư số cá nhân.`,
      last.problems,
    );
  }
  if (!last.trusted) {
    const reasons = last.problems.map((p) => PROBLEM_VI[p]).filter(Boolean);
    throw refused(
      'CERTIFICATE_UNTRUSTED',
      `The leader's certificate (${last.signer ?? 'unnamed'}) is not trusted at the signing time.`,
      `Chứng thư số của người ký (${last.signer ?? 'không tên'}) không được tin cậy vào lúc ký${reasons.length ? `: ${reasons.join('; ')}` : ''}.`,
      last.problems,
    );
  }
  if (!last.valid) {
    throw refused(
      'SIGNATURE_INVALID',
      "The leader's signature does not verify over the bytes it covers.",
      'Chữ ký số của lãnh đạo không khớp với nội dung tệp (tệp đã bị sửa sau khi ký, hoặc chữ ký hỏng).',
      last.problems,
    );
  }
  if (!(await sameContentAsDraft(draft, signed))) {
    throw refused(
      'SIGNATURE_INVALID',
      "The signed PDF changes the draft's pages: only a signature may be added to the draft.",
      'Tệp PDF đã ký làm thay đổi nội dung các trang của dự thảo: chỉ được thêm chữ ký số.',
    );
  }
  const certificate = last.certificate;
  return {
    signer: last.signer ?? certificate?.commonName ?? '',
    subject: certificate?.subject ?? '',
    issuer: certificate?.issuer ?? '',
    fingerprintSha256: certificate?.fingerprintSha256 ?? '',
    signedAt: last.signedAt?.toISOString() ?? null,
  };
}

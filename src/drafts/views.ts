import { DRAFT_STATE_VI } from '../http/problem-messages.js';
import type { Draft, DraftApproval, DraftFile, DraftInput, DraftState, LeaderSignatureValue } from './draft.entity.js';

/** A draft as the API answers it (GET /v1/drafts/{id}) and the console shows it. */
export interface DraftView {
  id: string;
  agencyCode: string;
  state: DraftState;
  /** The state in Vietnamese, as the console shows it. */
  stateText: string;
  /** What POST /v1/documents takes, without the files: the document the draft becomes. */
  metadata: DraftInput;
  files: Array<{ index: number; name: string; contentType: string; size: number; sha256: string }>;
  /** SHA-256 of the current PDF (GET …/pdf): the draft's, the leader-signed one once approved, the issued one once issued. */
  pdfSha256: string | null;
  approval: { kind: DraftApproval; by: string; at: string; leaderSignature: LeaderSignatureValue | null } | null;
  issued: { documentId: string; by: string | null; at: string | null; code: string | null; edxmlDocumentId: string | null } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** The outgoing document an issued draft became, as its view names it. */
export interface IssuedDocumentRef {
  code: string;
  edxmlDocumentId: string;
  pdfSha256: string | null;
}

export function draftView(draft: Draft, files: DraftFile[], issued?: IssuedDocumentRef | null): DraftView {
  const own = files.filter((f) => f.draftId === draft.id).sort((a, b) => a.index - b.index);
  return {
    id: draft.id,
    agencyCode: draft.agencyCode,
    state: draft.state,
    stateText: DRAFT_STATE_VI[draft.state],
    metadata: draft.input,
    files: own.map((f) => ({ index: f.index, name: f.name, contentType: f.contentType, size: f.size, sha256: f.sha256 })),
    pdfSha256: draft.state === 'issued' ? (issued?.pdfSha256 ?? null) : (draft.signedSha256 ?? own[0]?.sha256 ?? null),
    approval:
      draft.approval && draft.approvedBy && draft.approvedAt
        ? { kind: draft.approval, by: draft.approvedBy, at: draft.approvedAt.toISOString(), leaderSignature: draft.leaderSignature ?? null }
        : null,
    issued: draft.documentId
      ? {
          documentId: draft.documentId,
          by: draft.issuedBy ?? null,
          at: draft.issuedAt?.toISOString() ?? null,
          code: issued?.code ?? null,
          edxmlDocumentId: issued?.edxmlDocumentId ?? null,
        }
      : null,
    createdBy: draft.createdBy,
    createdAt: draft.createdAt.toISOString(),
    updatedAt: draft.updatedAt.toISOString(),
  };
}

import type { Agency } from '../directory/agency.entity.js';
import { dateToEdxmlTimestamp, isoToEdxmlDate } from '../edxml/dates.js';
import { newPlaceholder, PAYLOAD_MIN_BYTES, type Payload } from '../edxml/sign-payloads.js';
import type { Attachment, EdocPackage, ManifestReference, Organization, Priority, StaffInfo } from '../edxml/model.js';
import type { OutgoingDocument } from './document.entity.js';
import { documentType } from '../registers/document-types.js';

/** An agency as edXML From/To. */
export function organization(a: Agency): Organization {
  return {
    organId: a.code,
    organName: a.name,
    organizationInCharge: a.name,
    ...(a.address ? { organAdd: a.address } : {}),
    ...(a.email ? { email: a.email } : {}),
    ...(a.phone ? { telephone: a.phone } : {}),
    ...(a.fax ? { fax: a.fax } : {}),
    ...(a.website ? { website: a.website } : {}),
  };
}

export interface AttachmentBytes {
  name: string;
  contentType: string;
  content: Buffer;
}

function staffOf(doc: OutgoingDocument): StaffInfo | undefined {
  const s = doc.staff;
  if (!s) return undefined;
  return { department: s.department, staff: s.name, email: s.email, mobile: s.mobile };
}

/** What a package does (edXML Bussiness): a new document, a recall, or a replacement of earlier ones. */
export type BusinessOf =
  | { type: 0 }
  | { type: 1; reason: string }
  | { type: 2; reason: string }
  | { type: 3; reason: string; replaces: Array<{ documentId: string; organIdList: string[] }> };

/**
 * A package to sign: its model, where each large file's base64 is a placeholder, and those files,
 * which the signer writes into the package from their bytes (src/edxml/sign-payloads.ts).
 */
export interface EdocToSign {
  edoc: EdocPackage;
  payloads: Payload[];
}

/** The edoc package model of a composed document (BussinessDocType 0 new, 1 recall, 2 update, 3 replacement). */
export function edocModel(
  doc: OutgoingDocument,
  sender: Agency,
  recipients: Agency[],
  attachments: AttachmentBytes[],
  business: BusinessOf,
  at: Date,
): EdocToSign {
  const type = documentType(doc.type);
  const manifest: ManifestReference[] = [];
  const encoded: Attachment[] = [];
  const payloads: Payload[] = [];
  attachments.forEach((a, i) => {
    const contentId = `cid:${i + 1}`;
    let contentBase64: string;
    if (a.content.length >= PAYLOAD_MIN_BYTES) {
      contentBase64 = newPlaceholder();
      payloads.push({ placeholder: contentBase64, content: a.content });
    } else contentBase64 = a.content.toString('base64');
    manifest.push({ contentId, contentType: a.contentType, description: a.name, attachmentName: a.name });
    encoded.push({ contentId, attachmentName: a.name, description: a.name, contentType: a.contentType, contentBase64 });
  });
  const edoc: EdocPackage = {
    messageHeader: {
      from: organization(sender),
      to: recipients.map(organization),
      documentId: doc.documentId,
      code: { codeNumber: doc.numberText, codeNotation: doc.notation },
      promulgationInfo: { place: doc.promulgationPlace, promulgationDate: isoToEdxmlDate(doc.promulgationDate) },
      documentType: { type: 1, typeDetail: type?.index ?? 0, typeName: type?.name ?? doc.type },
      subject: doc.subject,
      ...(doc.content ? { content: doc.content } : {}),
      signerInfo: {
        ...(doc.signer.competence ? { competence: doc.signer.competence } : {}),
        position: doc.signer.position,
        fullName: doc.signer.fullName,
      },
      ...(doc.dueDate ? { dueDate: isoToEdxmlDate(doc.dueDate) } : {}),
      otherInfo: { priority: doc.priority as Priority, appendixes: [] },
      responseFor: doc.responseFor.map((r) => ({ ...r })),
      steeringType: doc.steeringType,
      toPlaces: [...doc.toPlaces],
    },
    traceHeaderList: {
      traceHeaders: [{ organId: sender.code, timestamp: dateToEdxmlTimestamp(at) }],
      bussiness:
        business.type === 0
          ? { bussinessDocType: 0, documentId: doc.documentId, bussinessDocReason: 'Văn bản điện tử mới', paper: 0, staffInfo: staffOf(doc) }
          : business.type === 1
            ? { bussinessDocType: 1, documentId: doc.documentId, bussinessDocReason: business.reason, paper: 0, staffInfo: staffOf(doc) }
            : business.type === 2
              ? {
                  bussinessDocType: 2,
                  documentId: doc.documentId,
                  bussinessDocReason: business.reason,
                  paper: 0,
                  staffInfo: staffOf(doc),
                  // The document's information changed; its recipients did not (QCVN 102 BussinessDocumentInfo).
                  bussinessDocumentInfo: { documentInfo: 1, documentReceiver: 0, receiverList: [] },
                }
              : {
                bussinessDocType: 3,
                documentId: doc.documentId,
                bussinessDocReason: business.reason,
                paper: 0,
                staffInfo: staffOf(doc),
                replacementInfoList: business.replaces.map((r) => ({ documentId: r.documentId, organIdList: [...r.organIdList] })),
              },
    },
    manifest,
    attachments: encoded,
  };
  return { edoc, payloads };
}

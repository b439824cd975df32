/**
 * Where a document system's package may go (issue 19). The hub is a facade over the exchange: what a
 * system sends is received as the exchange API receives a package from a partner, and the exchange
 * receives only for the agencies this node hosts — it never passes a package on. DESIGN.md and API.md
 * give the reasons, and they hold for the hub as they hold for a peer:
 *
 * - a partner acts only for the agencies it serves (DESIGN.md §7; API.md "Directory": a package whose
 *   sender is not one of them → 403): a package we passed on would reach the next node, or the axis
 *   ("sender not registered", AXIS.md), from us, signed by an agency that is not ours — refused there;
 * - the sender's view of a delivery (states, signed statuses, retries, recalls) exists only for the
 *   documents of this node's agencies (DESIGN.md §4 "Delivery"): a relayed package would have nobody
 *   to carry its recipient's statuses back, or to recall it;
 * - a peer sends one package per destination, and a recipient not ours is refused loudly so that the
 *   sender's delivery fails with the reason instead of waiting (src/exchange/ingest.ts).
 *
 * So a package naming an agency this node does not receive for is refused whole — nothing stored,
 * no recipient here gets a part of it — with a FAIL answer that says, for each such recipient, where
 * it is served (the peer node, the axis, another document system) or why nobody serves it. A system
 * whose documents go beyond this node's agencies keeps its connection to the axis for them.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agency } from '../directory/agency.entity.js';
import { findAgency, findPartner } from '../directory/directory.repository.js';
import type { Partner } from '../directory/partner.entity.js';
import { isClosedAt, isOpenAt, openSuccessorOf, vietnamIso, vietnameseDateTime } from '../directory/succession.js';
import type { PipelineDeps } from '../delivery/verify-received.js';
import { verifyPackage } from '../edxml/verify-package.js';
import { DomainError } from '../errors.js';

/**
 * The partner a system's package is received from, as ingest should see it. Ingest treats a partner
 * of kind `axis` as the axis, whose packages name every recipient of a document wherever it is
 * hosted, and gives them to the recipients here only. A document system is not the axis, whatever
 * kind its partner was registered with: the recipients its package names are those it asks this node
 * to deliver to, each must be received here, or the whole package is refused — never taken in part
 * and answered OK while the others wait for ever.
 */
export function asSystemPartner(partner: Partner): Partner {
  return partner.kind === 'axis' ? { ...partner, kind: 'lienthong' } : partner;
}

/** Why a recipient is not received here, in English and Vietnamese. */
interface NotHere {
  code: string;
  en: string;
  vi: string;
}

function servedBy(partner: Partner | null, partnerId: string | null | undefined): { en: string; vi: string } {
  if (!partner) return { en: `partner ${partnerId ?? '?'}, no longer registered`, vi: `đối tác ${partnerId ?? '?'} (không còn đăng ký)` };
  if (partner.mode === 'pull') {
    return {
      en: `the document system ${partner.name} (partner ${partner.id}), which fetches only its own agencies' packages from this node`,
      vi: `hệ thống quản lý văn bản ${partner.name} (đối tác ${partner.id}), chỉ lấy văn bản của các cơ quan mình từ nút này`,
    };
  }
  if (partner.kind === 'axis') return { en: `the axis ${partner.name} (partner ${partner.id})`, vi: `trục liên thông ${partner.name} (đối tác ${partner.id})` };
  return { en: `the lienthong node ${partner.name} (partner ${partner.id})`, vi: `nút liên thông ${partner.name} (đối tác ${partner.id})` };
}

async function remoteSide(em: EntityManager, agency: Agency): Promise<{ en: string; vi: string }> {
  return servedBy(agency.partnerId ? await findPartner(em, agency.partnerId) : null, agency.partnerId);
}

/**
 * Whether what is addressed to `code` is received here at `at` — by the agency itself, open and hosted
 * here, or by its open successor hosted here (as ingest receives it) — and if not, why.
 */
export async function notReceivedHere(em: EntityManager, code: string, at: Date): Promise<NotHere | null> {
  const agency = await findAgency(em, code);
  if (!agency) return { code, en: `${code} is not in this node's directory`, vi: `${code} không có trong danh bạ của nút này` };
  if (isClosedAt(agency, at)) {
    const closedAt = agency.closedAt!.toISOString();
    const successor = await openSuccessorOf(em, agency, at);
    if (!successor) {
      return {
        code,
        en: `${code} closed on ${vietnamIso(closedAt)} and no open agency succeeds it`,
        vi: `${code} đã ngừng hoạt động từ ${vietnameseDateTime(closedAt)} và không có cơ quan kế thừa đang hoạt động`,
      };
    }
    if (successor.agency.endpointType === 'local') return null;
    const side = await remoteSide(em, successor.agency);
    return {
      code,
      en: `${code} closed on ${vietnamIso(closedAt)}; its successor ${successor.agency.code} is served by ${side.en}`,
      vi: `${code} đã ngừng hoạt động từ ${vietnameseDateTime(closedAt)}; cơ quan kế thừa ${successor.agency.code} do ${side.vi} phục vụ`,
    };
  }
  if (!isOpenAt(agency, at)) return { code, en: `${code} is not active`, vi: `${code} không còn hoạt động` };
  if (agency.endpointType === 'local') return null;
  const side = await remoteSide(em, agency);
  return { code, en: `${code} is served by ${side.en}`, vi: `${code} do ${side.vi} phục vụ` };
}

/**
 * When ingest refused a system's package because an agency it is addressed to is not received here
 * (UNKNOWN_RECIPIENT for an edoc; NOT_FOUND for a status about a document this node did not send),
 * the refusal that says where each such agency is served and that this node passes nothing on.
 * Anything else — and a package that does not verify, or whose addressees are all here after all —
 * is answered with ingest's own error. Verified again only on this path (the package was refused):
 * the addressees are read from the signed content, never from the raw bytes.
 */
export async function routingRefusal(em: EntityManager, pipeline: PipelineDeps, partner: Partner, bytes: Buffer, error: unknown): Promise<unknown> {
  if (!(error instanceof DomainError) || (error.code !== 'UNKNOWN_RECIPIENT' && error.code !== 'NOT_FOUND')) return error;
  let addressees: string[];
  let kind: 'edoc' | 'status';
  try {
    const verified = await verifyPackage(bytes, {
      checkCertificate: await pipeline.pki.certificateCheck(em),
      limits: pipeline.limits,
      allowLegacy: partner.legacy,
      checkXml: pipeline.pki.checkPackageXml,
    });
    kind = verified.model.kind;
    // A status goes to the agency its ResponseFor names: the document's sender, or (13) its recipient.
    addressees = verified.model.kind === 'edoc' ? [...new Set(verified.model.edoc.messageHeader.to.map((t) => t.organId))] : [verified.model.status.responseFor.organId];
  } catch {
    return error;
  }
  if (kind === 'edoc' ? error.code !== 'UNKNOWN_RECIPIENT' : error.code !== 'NOT_FOUND') return error;
  const at = new Date();
  const elsewhere: NotHere[] = [];
  for (const code of addressees) {
    const why = await notReceivedHere(em, code, at);
    if (why) elsewhere.push(why);
  }
  if (elsewhere.length === 0) return error;
  const reasons = { en: elsewhere.map((w) => w.en).join('; '), vi: elsewhere.map((w) => w.vi).join('; ') };
  const codes = elsewhere.map((w) => w.code);
  const detail =
    kind === 'edoc'
      ? {
          en:
            `This node receives a package only for the agencies it hosts and does not pass packages on to other nodes or the axis: ${reasons.en}. ` +
            `Nothing was stored, for any recipient. Send the package for ${codes.join(', ')} to the system that serves ${codes.length > 1 ? 'them' : 'it'} directly.`,
          vi:
            `Nút này chỉ nhận gói tin cho các cơ quan do nút quản lý và không chuyển tiếp gói tin sang nút khác hay trục liên thông: ${reasons.vi}. ` +
            `Không có gì được lưu, cho nơi nhận nào. Hãy gửi gói tin cho ${codes.join(', ')} trực tiếp tới hệ thống phục vụ nơi nhận đó.`,
        }
      : {
          en:
            `This node takes a status package only about a document of an agency it hosts and does not pass packages on: ${reasons.en}. ` +
            `Nothing was stored. Send it to the system that serves ${codes.join(', ')} directly.`,
          vi:
            `Nút này chỉ nhận gói trạng thái về văn bản của cơ quan do nút quản lý và không chuyển tiếp gói tin: ${reasons.vi}. ` +
            `Không có gì được lưu. Hãy gửi trực tiếp tới hệ thống phục vụ ${codes.join(', ')}.`,
        };
  return new DomainError('UNKNOWN_RECIPIENT', detail.en, { vi: detail.vi, cause: error, extensions: { notReceivedHere: codes } });
}

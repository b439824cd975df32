import type { EntityManager } from '@mikro-orm/postgresql';
import type { Agency, AgencyDecisionValue } from '../directory/agency.entity.js';
import {
  closedAgencyInfo,
  closedAgencySentence,
  isClosedAt,
  isOpenAt,
  namedList,
  openSuccessorOf,
  type AgencyRef,
  type ClosedAgencyInfo,
} from '../directory/succession.js';
import { DomainError } from '../errors.js';
import { fieldError } from '../http/validation-messages.js';
import type { Delivery } from '../delivery/document.entity.js';
import type { EventInput } from '../delivery/document-events.repository.js';
import { agencyRows } from '../directory/directory.repository.js';
import { activeChildren, groupAgencies } from './documents.repository.js';

/** A recipient addressed by a closed agency's code that goes to its open successor instead. */
export interface Redirect {
  /** The item of `to` that named it. */
  recipient: string;
  /** The closed agency. */
  from: string;
  /** The open successor that receives the document. */
  to: string;
  /** The closed agencies passed, `from` first (a successor that closed too). */
  via: string[];
  closedAt: string;
  decision: AgencyDecisionValue | null;
}

/** Closed members a `group:` recipient left out (the 201 answer's `warnings`, and the timeline). */
export interface ClosedMembersWarning {
  code: 'GROUP_MEMBERS_CLOSED';
  recipient: string;
  agencies: Array<AgencyRef & { closedAt: string; successors: AgencyRef[]; receivingAgency: AgencyRef | null }>;
}

/** What the recipients of a document resolve to at the moment of sending. */
export interface RecipientPlan {
  /** The agencies that get a delivery, by code. */
  recipients: Agency[];
  /** Closed agencies named by code whose successor gets the document (with `redirectClosed`). */
  redirects: Redirect[];
  /** Groups whose closed members were left out. */
  warnings: ClosedMembersWarning[];
  /**
   * For a recipient that gets the document only as a successor: the closed agency it was addressed
   * as (the first, when several). One also reached in its own right (named, a group's, a child) is
   * not redirected.
   */
  redirectedFrom: Map<string, string>;
}

/**
 * Expands recipients given as agency codes, `group:CODE` or `children:CODE` into agencies open at
 * `at` (the moment of sending), de-duplicated and without the sender, and says what it did about
 * closed agencies (issue 19):
 * - a code of an agency closed at `at` is 422 AGENCY_CLOSED naming its successor — or, with
 *   `redirectClosed`, its open successor (following the chain) gets the document instead: a Redirect;
 * - `children:` and `group:` take only open agencies; a group's closed members are reported (warnings).
 * Any item that yields no open agency otherwise is 422 UNKNOWN_RECIPIENT, naming every such item,
 * and nothing is created.
 */
export async function planRecipients(
  em: EntityManager,
  senderCode: string,
  spec: string[],
  options: { at?: Date; redirectClosed?: boolean } = {},
): Promise<RecipientPlan> {
  const at = options.at ?? new Date();
  const found = new Map<string, Agency>();
  const unknown: string[] = [];
  const closed: Array<{ item: string; agency: Agency }> = [];
  const redirects: Redirect[] = [];
  const warnings: ClosedMembersWarning[] = [];
  const reachedInOwnRight = new Set<string>();
  // The agencies named by plain codes, read with one query rather than one per recipient.
  const plainCodes = [...new Set(spec.map((raw) => raw.trim()).filter((item) => !item.startsWith('group:') && !item.startsWith('children:')))];
  const named = new Map((plainCodes.length ? await agencyRows(em, plainCodes) : []).map((a) => [a.code, a]));
  for (const raw of spec) {
    const item = raw.trim();
    let agencies: Agency[];
    let viaRedirect = false;
    if (item.startsWith('group:')) {
      const code = item.slice(6);
      const all = await groupAgencies(em, code);
      agencies = all.filter((a) => isOpenAt(a, at));
      const gone = all.filter((a) => isClosedAt(a, at) && a.code !== senderCode);
      if (gone.length) {
        const infos = await Promise.all(gone.map((a) => closedAgencyInfo(em, a, at)));
        warnings.push({
          code: 'GROUP_MEMBERS_CLOSED',
          recipient: item,
          agencies: infos.map((i) => ({ code: i.code, name: i.name, closedAt: i.closedAt, successors: i.successors, receivingAgency: i.receivingAgency })),
        });
      }
    } else if (item.startsWith('children:')) {
      agencies = await activeChildren(em, item.slice(9), at);
    } else {
      const agency = named.get(item) ?? null;
      if (agency && isClosedAt(agency, at)) {
        const successor = options.redirectClosed ? await openSuccessorOf(em, agency, at) : null;
        // Redirected to the sender itself, it would go nowhere: refused like any closed recipient.
        if (!successor || successor.agency.code === senderCode) {
          closed.push({ item, agency });
          continue;
        }
        redirects.push({
          recipient: item,
          from: agency.code,
          to: successor.agency.code,
          via: successor.via,
          closedAt: agency.closedAt!.toISOString(),
          decision: agency.decision ?? null,
        });
        agencies = [successor.agency];
        viaRedirect = true;
      } else {
        agencies = agency && isOpenAt(agency, at) ? [agency] : [];
      }
    }
    const others = agencies.filter((a) => a.code !== senderCode);
    if (others.length === 0) unknown.push(item);
    for (const a of others) found.set(a.code, a);
    if (!viaRedirect) for (const a of others) reachedInOwnRight.add(a.code);
  }
  if (unknown.length) {
    throw new DomainError('UNKNOWN_RECIPIENT', `These recipients resolve to no active agency: ${unknown.join(', ')}. Nothing was created.`, {
      errors: unknown.map((u) => fieldError(`to.${spec.indexOf(u)}`, { en: `(${u}) resolves to no active agency`, vi: `(${u}) không ứng với cơ quan nào đang hoạt động` }, 'document')),
      vi: `Các nơi nhận sau không ứng với cơ quan nào đang hoạt động: ${unknown.join(', ')}. Chưa có gì được tạo.`,
    });
  }
  if (closed.length) throw await agencyClosed(em, spec, closed, at);
  const redirectedFrom = new Map<string, string>();
  for (const r of redirects) if (!reachedInOwnRight.has(r.to) && !redirectedFrom.has(r.to)) redirectedFrom.set(r.to, r.from);
  return { recipients: [...found.values()].sort((a, b) => (a.code < b.code ? -1 : 1)), redirects, warnings, redirectedFrom };
}

/** The agencies the recipients resolve to (planRecipients without redirection, at this moment). */
export async function resolveRecipients(em: EntityManager, senderCode: string, spec: string[]): Promise<Agency[]> {
  return (await planRecipients(em, senderCode, spec)).recipients;
}

/**
 * 422 AGENCY_CLOSED (API.md "Calendar, deadlines and agencies that close"): each closed recipient with
 * its successors and who receives its documents now, in English and Vietnamese; the machine's part in
 * the problem's `successors` (the agencies to address instead, de-duplicated) and `closed` (per item).
 */
async function agencyClosed(em: EntityManager, spec: string[], closed: Array<{ item: string; agency: Agency }>, at: Date): Promise<DomainError> {
  const infos: Array<{ item: string; info: ClosedAgencyInfo }> = [];
  for (const c of closed) infos.push({ item: c.item, info: await closedAgencyInfo(em, c.agency, at) });
  const receivers = [...new Map(infos.flatMap(({ info }) => (info.receivingAgency ? [[info.receivingAgency.code, info.receivingAgency] as const] : []))).values()];
  const sentences = infos.map(({ info }) => closedAgencySentence(info));
  const resend = receivers.length
    ? {
        en: ` Address the document to ${namedList(receivers, 'and')}, or send it again with "redirectClosed": true. Nothing was created.`,
        vi: ` Hãy gửi cho ${namedList(receivers, 'và')}, hoặc gửi lại với "redirectClosed": true (chuyển cho cơ quan kế thừa). Chưa có gì được tạo.`,
      }
    : { en: ' Nothing was created.', vi: ' Chưa có gì được tạo.' };
  return new DomainError('AGENCY_CLOSED', `${sentences.map((s) => s.en).join(' ')}${resend.en}`, {
    vi: `${sentences.map((s) => s.vi).join(' ')}${resend.vi}`,
    errors: infos.map(({ item }, i) => ({ path: `to.${spec.indexOf(item)}`, message: sentences[i]!.en, vi: sentences[i]!.vi })),
    extensions: {
      successors: receivers,
      closed: infos.map(({ item, info }) => ({ recipient: item, ...info })),
    },
  });
}

/**
 * The timeline's record of what the plan did about closed agencies, in the transaction that creates
 * the document: `recipient.redirected` on the successor's delivery, and `recipients.closed-skipped`
 * for each group that left closed members out.
 */
export function recipientPlanEvents(documentId: string, deliveries: readonly Delivery[], plan: RecipientPlan): EventInput[] {
  const events: EventInput[] = [];
  for (const r of plan.redirects) {
    const delivery = deliveries.find((d) => d.recipientCode === r.to);
    events.push({
      documentId,
      deliveryId: delivery?.id ?? null,
      recipientCode: r.to,
      type: 'recipient.redirected',
      state: delivery?.state ?? null,
      details: { recipient: r.recipient, from: r.from, to: r.to, via: r.via, closedAt: r.closedAt, decision: r.decision },
    });
  }
  for (const w of plan.warnings) {
    events.push({ documentId, type: 'recipients.closed-skipped', details: { recipient: w.recipient, agencies: w.agencies } });
  }
  return events;
}

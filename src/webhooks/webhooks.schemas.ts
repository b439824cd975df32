import { z } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { WEBHOOK_DELIVERY_STATES, WEBHOOK_EVENTS } from './webhook.entity.js';

/**
 * An http(s) URL without credentials or fragment: credentials in a URL would be kept in clear (the
 * secret is the webhook's authentication), a fragment is never sent.
 */
const WebhookUrl = z
  .string()
  .trim()
  .max(2000)
  .url()
  .superRefine((value, ctx) => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: 'must be an http or https URL' });
    if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password: requests are signed with the webhook secret' });
    if (u.hash) ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
  })
  .openapi({ example: 'https://qlvb.binhan.kiengiang.gov.vn/hooks/lienthong' });

export const WebhookInputSchema = z
  .object({
    url: WebhookUrl,
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .optional()
      .openapi({ description: `The events to receive; default all: ${WEBHOOK_EVENTS.join(', ')}` }),
    description: z.string().trim().min(1).max(300).optional(),
    agencyCode: AgencyCode.optional().openapi({ description: "Whose events: the caller's agency; an administrator names one" }),
  })
  .strict()
  .openapi('WebhookInput', { example: { url: 'https://qlvb.binhan.kiengiang.gov.vn/hooks/lienthong', events: ['reminder.overdue', 'reminder.digest'] } });

export const WebhookSchema = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    description: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Webhook');

export const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z.string().nullable().openapi({
    description:
      'The HMAC-SHA256 key of the X-Lienthong-Signature header. Shown once: null in a replay of an Idempotency-Key request, since it is kept only sealed',
    example: 'whsec_…',
  }),
  secretShownOnce: z.literal(true).optional().openapi({ description: 'Present (true) only in a replay' }),
  note: z.string().optional().openapi({ description: 'Present only in a replay: why `secret` is null' }),
}).openapi('WebhookCreated');

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: 'The `id` of the event in the body: the same on every attempt (drop a repeat by it)' }),
    eventType: z.string(),
    state: z.enum(WEBHOOK_DELIVERY_STATES),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
    log: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        status: z.number().int().nullable().openapi({ description: 'HTTP status; null when no answer came (timeout, refused connection)' }),
        error: z.string().nullable(),
        durationMs: z.number().int(),
      }),
    ),
  })
  .openapi('WebhookDelivery');

export const WebhookListQuery = z.object({
  agency: AgencyCode.optional().openapi({ description: "The caller's agency by default; an administrator may name one (or see all)" }),
});

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { AgencyCode } from '../directory/directory.schemas.js';
import { DomainError } from '../errors.js';
import { allow, requireAdmin, requireUserOrAdmin } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, CONFLICT, json, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { listCertificates } from './certificates.repository.js';
import { certificateView, type PkiService } from './pki.service.js';

const tags = ['Certificates'];
const pem = z.string().min(1).max(200_000);

/** One of the four ways to give an agency a certificate (API.md, POST …/certificates). */
const CertificateInput = z
  .union([
    z
      .object({ certificatePem: pem, privateKeyPem: pem, chainPem: pem.optional() })
      .strict()
      .openapi({ description: "A local agency's own key and certificate" }),
    z.object({ certificatePem: pem, chainPem: pem.optional() }).strict().openapi({ description: "A remote agency's certificate alone" }),
    z
      .object({ pkcs12Base64: z.string().min(1).max(400_000), password: z.string().max(500) })
      .strict()
      .openapi({ description: 'A PKCS#12 file (base64) with its password' }),
    z.object({}).strict().openapi({ description: "The node's CA issues a key and certificate" }),
  ])
  .openapi('CertificateInput');

const CertificateSchema = z
  .object({
    id: z.string(),
    agencyCode: z.string(),
    origin: z.enum(['issued', 'uploaded', 'registered']),
    serialNumber: z.string(),
    subject: z.string(),
    issuer: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    fingerprintSha256: z.string(),
    certificatePem: z.string(),
    chainPem: z.string().openapi({
      description: "The chain above the certificate, PEM, from its issuer up to and including the trust anchor (for the node CA's certificates: the node CA's certificate)",
    }),
    hasPrivateKey: z.boolean(),
    active: z.boolean(),
  })
  .openapi('Certificate');

const AnchorSchema = z
  .object({
    fingerprintSha256: z.string(),
    subject: z.string(),
    certificatePem: z.string(),
    source: z.enum(['node-ca', 'trust-dir', 'api']),
  })
  .openapi('TrustAnchor');

const CodeParam = z.object({ code: AgencyCode.openapi({ param: { name: 'code', in: 'path' } }) });

/** Certificates of agencies and the node's trust anchors. */
export function registerCertificateRoutes(app: OpenAPIHono<AppEnv>, pki: PkiService): void {
  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/agencies/{code}/certificates',
      tags,
      security: BEARER,
      summary: 'Issue, upload or register a certificate for an agency (admin)',
      description:
        "`{}`: the node's CA issues a key and certificate. `{ certificatePem, privateKeyPem }`: a local agency's own key. " +
        "`{ certificatePem }`: a remote agency's certificate, which its packages will be signed with; the registration is the binding, so its subject " +
        "need not carry the agency code (subject serialNumber), as the national CA's organisation certificates do not. `{ pkcs12Base64, password }`: a PKCS#12 file. " +
        'A certificate that does not chain to a trust anchor, that names another agency\'s code, or (with a private key) that does not carry the agency code, ' +
        'is 422 CERTIFICATE_UNTRUSTED. The answer\'s `chainPem` is the chain from the issuer up to the trust anchor.',
      request: { params: CodeParam, body: jsonBody(CertificateInput) },
      responses: { 201: json(CertificateSchema, 'The certificate'), ...COMMON_ERRORS, ...NOT_FOUND, ...CONFLICT },
    }),
    async (c) => {
      const actor = { principal: requireAdmin(c.get('principal')), requestId: c.get('requestId') };
      const { code } = c.req.valid('param');
      const body = c.req.valid('json');
      const input =
        'pkcs12Base64' in body
          ? { mode: 'pkcs12' as const, pkcs12: Buffer.from(body.pkcs12Base64, 'base64'), password: body.password }
          : 'privateKeyPem' in body
            ? { mode: 'upload' as const, certificatePem: body.certificatePem, privateKeyPem: body.privateKeyPem, chainPem: body.chainPem }
            : 'certificatePem' in body
              ? { mode: 'register' as const, certificatePem: body.certificatePem, chainPem: body.chainPem }
              : { mode: 'issue' as const };
      return c.json(await pki.addCertificate(c.get('em'), actor, code, input), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agencies/{code}/certificates',
      tags,
      security: BEARER,
      summary: "An agency's certificates, newest first",
      request: { params: CodeParam },
      responses: { 200: json(z.object({ items: z.array(CertificateSchema), nextCursor: z.null() }), 'The certificates'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const rows = await listCertificates(c.get('em'), c.req.valid('param').code);
      return c.json({ items: rows.map(certificateView), nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trust-anchors',
      tags,
      security: BEARER,
      summary: 'The CA certificates this node trusts (its own CA among them)',
      responses: { 200: json(z.object({ items: z.array(AnchorSchema), nextCursor: z.null() }), 'The anchors'), ...COMMON_ERRORS },
    }),
    async (c) => {
      requireUserOrAdmin(c.get('principal'));
      const { anchors } = await pki.trust(c.get('em'));
      return c.json({ items: anchors, nextCursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      // The role is checked before the body is read (issue 11: authenticate, authorise, then read).
      middleware: [allow(requireAdmin)] as const,
      method: 'post',
      path: '/v1/trust-anchors',
      tags,
      security: BEARER,
      summary: 'Trust another CA (admin), e.g. a peer node’s CA or the national CA',
      request: { body: jsonBody(z.object({ certificatePem: pem }).strict()) },
      responses: { 201: json(AnchorSchema, 'The anchor'), ...COMMON_ERRORS, ...CONFLICT },
    }),
    async (c) => {
      const actor = { principal: requireAdmin(c.get('principal')), requestId: c.get('requestId') };
      const body = c.req.valid('json');
      if (!body.certificatePem.includes('BEGIN CERTIFICATE')) {
        throw new DomainError('VALIDATION_FAILED', 'certificatePem must be a PEM certificate.', {
          errors: [{ path: 'certificatePem', message: 'not a PEM certificate' }],
        });
      }
      return c.json(await pki.addTrustAnchor(c.get('em'), actor, body.certificatePem), 201);
    },
  );
}

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AgencySchema } from '../directory/agency.entity.js';

export const CERTIFICATE_ORIGINS = ['issued', 'uploaded', 'registered'] as const;
export type CertificateOrigin = (typeof CERTIFICATE_ORIGINS)[number];

/**
 * An agency's X.509 certificate. `issued`: the node's CA made key and certificate; `uploaded`: the
 * agency's own key and certificate; `registered`: a remote agency's certificate alone, the one its
 * packages are signed with. The private key, when there is one, is encrypted with the master key and
 * never leaves src/crypto in clear.
 */
export const AgencyCertificateSchema = defineEntity({
  name: 'AgencyCertificate',
  tableName: 'agency_certificate',
  properties: {
    id: p.uuid().primary(),
    agencyCode: () => p.manyToOne(AgencySchema).mapToPk().fieldName('agency_code').index(),
    serialNumber: p.string().length(80),
    subject: p.string().length(1000),
    issuer: p.string().length(1000),
    notBefore: p.datetime(),
    notAfter: p.datetime().index(),
    fingerprintSha256: p.string().length(64).unique(),
    certificatePem: p.text(),
    /**
     * The CA certificates above this one, its issuer first and the trust anchor last (PEM), as built
     * when it was added. Rows added before the anchor was kept here hold the intermediates only.
     */
    chainPem: p.text().default(''),
    privateKeyEncrypted: p.text().nullable(),
    origin: p.enum(CERTIFICATE_ORIGINS as unknown as CertificateOrigin[]).nativeEnumName('certificate_origin'),
    active: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type AgencyCertificate = InferEntity<typeof AgencyCertificateSchema>;

/** A CA certificate added through the API (files in LIENTHONG_TRUST_DIR and the node CA are the others). */
export const TrustAnchorSchema = defineEntity({
  name: 'TrustAnchor',
  tableName: 'trust_anchor',
  properties: {
    fingerprintSha256: p.string().length(64).primary(),
    subject: p.string().length(1000),
    certificatePem: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type TrustAnchor = InferEntity<typeof TrustAnchorSchema>;

/**
 * The node's own CA (one row), shared by every api and worker process. Its key is encrypted with the
 * master key. In development the same CA is also kept in certs/dev/ for the offline CLI.
 */
export const NodeCaSchema = defineEntity({
  name: 'NodeCa',
  tableName: 'node_ca',
  properties: {
    id: p.string().length(20).primary(),
    certificatePem: p.text(),
    privateKeyEncrypted: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type NodeCa = InferEntity<typeof NodeCaSchema>;

import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * The exact bytes of a signed edXML package, stored once with their SHA-256 and never re-serialised
 * (DESIGN.md §4). Documents, inbox items and status records point here.
 */
export const PackageSchema = defineEntity({
  name: 'Package',
  tableName: 'edxml_package',
  properties: {
    id: p.uuid().primary(),
    sha256: p.string().length(64).unique(),
    kind: p.enum(['edoc', 'status'] as ('edoc' | 'status')[]).nativeEnumName('package_kind'),
    /** From/OrganId, as verified. */
    senderCode: p.string().length(13).index(),
    /** The edXML DocumentId the package is about (its own for edoc, ResponseFor for status). */
    documentId: p.string().length(300).index(),
    /** BussinessDocType for edoc packages (0 new, 1 recall, 2 update, 3 replace); null for status. */
    businessDocType: p.smallint().nullable(),
    statusCode: p.string().length(2).nullable(),
    size: p.integer(),
    bytes: p.blob().lazy(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Package = InferEntity<typeof PackageSchema>;

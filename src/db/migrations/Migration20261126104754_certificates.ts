import { Migration } from '@mikro-orm/migrations';

export class Migration20261126104754_certificates extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "certificate_origin" as enum ('issued', 'uploaded', 'registered');`);
    this.addSql(`create table "node_ca" ("id" varchar(20) not null, "certificate_pem" text not null, "private_key_encrypted" text not null, "created_at" timestamptz not null, constraint "node_ca_pkey" primary key ("id"));`);

    this.addSql(`create table "agency_certificate" ("id" uuid not null, "agency_code" varchar(13) not null, "serial_number" varchar(80) not null, "subject" varchar(1000) not null, "issuer" varchar(1000) not null, "not_before" timestamptz not null, "not_after" timestamptz not null, "fingerprint_sha256" varchar(64) not null, "certificate_pem" text not null, "chain_pem" text not null default '', "private_key_encrypted" text null, "origin" "certificate_origin" not null, "active" boolean not null default true, "created_at" timestamptz not null, constraint "agency_certificate_pkey" primary key ("id"));`);
    this.addSql(`create index "agency_certificate_agency_code_index" on "agency_certificate" ("agency_code");`);
    this.addSql(`create index "agency_certificate_not_after_index" on "agency_certificate" ("not_after");`);
    this.addSql(`alter table "agency_certificate" add constraint "agency_certificate_fingerprint_sha256_unique" unique ("fingerprint_sha256");`);

    this.addSql(`create table "trust_anchor" ("fingerprint_sha256" varchar(64) not null, "subject" varchar(1000) not null, "certificate_pem" text not null, "created_at" timestamptz not null, constraint "trust_anchor_pkey" primary key ("fingerprint_sha256"));`);

    this.addSql(`alter table "agency_certificate" add constraint "agency_certificate_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "node_ca" cascade;`);

    this.addSql(`drop table if exists "agency_certificate" cascade;`);

    this.addSql(`drop table if exists "trust_anchor" cascade;`);

    this.addSql(`drop type "certificate_origin";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Issuing with legal signatures (issue 17): drafts and their files, the leaders' signing keys kept
 * for remote signing (sealed with the master key), and each agency's seal image and stamp template.
 */
export class Migration20261207170000_drafts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "draft_state" as enum ('draft', 'approved', 'issued', 'withdrawn');`);
    this.addSql(`create type "draft_approval" as enum ('node-signed', 'uploaded-signed');`);
    this.addSql(`create type "signer_key_origin" as enum ('issued', 'imported');`);

    this.addSql(`create table "draft" ("id" uuid not null, "agency_code" varchar(13) not null, "created_by" varchar(100) not null, "state" "draft_state" not null, "input" jsonb not null, "approved_by" varchar(100) null, "approved_at" timestamptz null, "approval" "draft_approval" null, "leader_signature" jsonb null, "signed_pdf" bytea null, "signed_sha256" varchar(64) null, "document_id" uuid null, "issued_by" varchar(100) null, "issued_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "draft_pkey" primary key ("id"));`);
    this.addSql(`create index "draft_agency_code_index" on "draft" ("agency_code");`);
    this.addSql(`create index "draft_state_index" on "draft" ("state");`);
    this.addSql(`create index "draft_list_index" on "draft" ("agency_code", "created_at", "id");`);

    this.addSql(`create table "draft_file" ("draft_id" uuid not null, "index" smallint not null, "name" varchar(255) not null, "content_type" varchar(150) not null, "size" int not null, "sha256" varchar(64) not null, "content" bytea not null, constraint "draft_file_pkey" primary key ("draft_id", "index"));`);

    this.addSql(`create table "agency_stamp_template" ("agency_code" varchar(13) not null, "template" jsonb not null, "updated_by" varchar(100) not null, "updated_at" timestamptz not null, constraint "agency_stamp_template_pkey" primary key ("agency_code"));`);

    this.addSql(`create table "agency_seal" ("agency_code" varchar(13) not null, "png" bytea not null, "size" int not null, "sha256" varchar(64) not null, "width" int not null, "height" int not null, "transparent" boolean not null, "updated_by" varchar(100) not null, "updated_at" timestamptz not null, constraint "agency_seal_pkey" primary key ("agency_code"));`);

    this.addSql(`create table "signer_key" ("id" uuid not null, "user_id" uuid not null, "agency_code" varchar(13) not null, "origin" "signer_key_origin" not null, "serial_number" varchar(80) not null, "subject" varchar(1000) not null, "issuer" varchar(1000) not null, "not_before" timestamptz not null, "not_after" timestamptz not null, "fingerprint_sha256" varchar(64) not null, "certificate_pem" text not null, "chain_pem" text not null default '', "private_key_encrypted" text not null, "active" boolean not null default true, "created_at" timestamptz not null, constraint "signer_key_pkey" primary key ("id"));`);
    this.addSql(`create index "signer_key_user_id_index" on "signer_key" ("user_id");`);
    this.addSql(`alter table "signer_key" add constraint "signer_key_fingerprint_sha256_unique" unique ("fingerprint_sha256");`);
    // One active key per leader: a new key retires the old one in the same transaction.
    this.addSql(`create unique index "signer_key_active_user_unique" on "signer_key" ("user_id") where "active";`);

    this.addSql(`alter table "draft" add constraint "draft_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
    this.addSql(`alter table "draft" add constraint "draft_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "draft_file" add constraint "draft_file_draft_id_foreign" foreign key ("draft_id") references "draft" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "agency_stamp_template" add constraint "agency_stamp_template_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade on delete cascade;`);
    this.addSql(`alter table "agency_seal" add constraint "agency_seal_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade on delete cascade;`);
    this.addSql(`alter table "signer_key" add constraint "signer_key_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade;`);
    this.addSql(`alter table "signer_key" add constraint "signer_key_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signer_key" cascade;`);
    this.addSql(`drop table if exists "agency_seal" cascade;`);
    this.addSql(`drop table if exists "agency_stamp_template" cascade;`);
    this.addSql(`drop table if exists "draft_file" cascade;`);
    this.addSql(`drop table if exists "draft" cascade;`);
    this.addSql(`drop type "signer_key_origin";`);
    this.addSql(`drop type "draft_approval";`);
    this.addSql(`drop type "draft_state";`);
  }

}

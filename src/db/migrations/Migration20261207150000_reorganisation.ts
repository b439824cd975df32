import { Migration } from '@mikro-orm/migrations';

/**
 * Reorganisation (issue 19), the rest of it: an inbox item remembers the closed agency its package
 * named when its successor holds it (received for it, or handed over); handovers and what each moved;
 * directory syncs (the list as read, the diff reviewed) and the nightly sync's notices.
 */
export class Migration20261207150000_reorganisation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "inbox_item" add column "addressed_to" varchar(13) null;`);

    this.addSql(`create table "agency_handover" ("id" uuid not null, "from_code" varchar(13) not null, "to_code" varchar(13) not null, "decision" jsonb null, "performed_at" timestamptz not null, "performed_by" varchar(150) not null, "request_id" varchar(100) null, "inbox_items" int not null, "documents" int not null, "users_deactivated" int not null, "records" jsonb not null, constraint "agency_handover_pkey" primary key ("id"));`);
    this.addSql(`create index "agency_handover_from_code_index" on "agency_handover" ("from_code");`);
    this.addSql(`create index "agency_handover_to_code_index" on "agency_handover" ("to_code");`);

    this.addSql(`create table "agency_handover_item" ("id" bigserial primary key, "handover_id" uuid not null, "kind" varchar(20) not null, "subject_id" uuid not null, "from_code" varchar(13) not null, "to_code" varchar(13) not null, "document_id" varchar(300) not null, "sha256" varchar(64) null);`);
    this.addSql(`create index "agency_handover_item_handover_id_index" on "agency_handover_item" ("handover_id");`);
    this.addSql(`create index "agency_handover_item_subject_id_index" on "agency_handover_item" ("subject_id");`);
    this.addSql(`create index "agency_handover_item_to_code_index" on "agency_handover_item" ("to_code");`);
    this.addSql(`alter table "agency_handover_item" add constraint "agency_handover_item_subject_unique" unique ("kind", "subject_id", "from_code");`);

    this.addSql(`create table "directory_sync" ("id" uuid not null, "source" varchar(10) not null, "partner_id" varchar(100) null, "file_name" varchar(300) null, "file_sha256" varchar(64) null, "trigger" varchar(10) not null, "state" varchar(10) not null, "endpoint" jsonb not null, "rows" jsonb not null, "diff" jsonb not null, "counts" jsonb not null, "created_by" varchar(150) not null, "created_at" timestamptz not null, "applied_at" timestamptz null, "applied_by" varchar(150) null, constraint "directory_sync_pkey" primary key ("id"));`);
    this.addSql(`create index "directory_sync_partner_id_index" on "directory_sync" ("partner_id");`);
    this.addSql(`create index "directory_sync_created_at_index" on "directory_sync" ("created_at");`);

    this.addSql(`create table "directory_sync_notice" ("id" uuid not null, "sync_id" uuid not null, "partner_id" varchar(100) not null, "counts" jsonb not null, "message" text not null, "message_vi" text not null, "created_at" timestamptz not null, "resolved_at" timestamptz null, constraint "directory_sync_notice_pkey" primary key ("id"));`);
    this.addSql(`create index "directory_sync_notice_sync_id_index" on "directory_sync_notice" ("sync_id");`);
    this.addSql(`create index "directory_sync_notice_resolved_at_index" on "directory_sync_notice" ("resolved_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "directory_sync_notice" cascade;`);
    this.addSql(`drop table if exists "directory_sync" cascade;`);
    this.addSql(`drop table if exists "agency_handover_item" cascade;`);
    this.addSql(`drop table if exists "agency_handover" cascade;`);
    this.addSql(`alter table "inbox_item" drop column "addressed_to";`);
  }

}

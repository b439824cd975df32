import { Migration } from '@mikro-orm/migrations';

export class Migration20261126104943_documents extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "package_kind" as enum ('edoc', 'status');`);
    this.addSql(`create type "document_state" as enum ('queued', 'signed', 'sent', 'recalled', 'failed');`);
    this.addSql(`create type "delivery_state" as enum ('pending', 'sending', 'arrived', 'accepted', 'assigned', 'processing', 'completed', 'refused', 'failed', 'recall_requested', 'recalled', 'recall_refused');`);
    this.addSql(`create table "edxml_package" ("id" uuid not null, "sha256" varchar(64) not null, "kind" "package_kind" not null, "sender_code" varchar(13) not null, "document_id" varchar(300) not null, "business_doc_type" smallint null, "status_code" varchar(2) null, "size" int not null, "bytes" bytea not null, "created_at" timestamptz not null, constraint "edxml_package_pkey" primary key ("id"));`);
    this.addSql(`alter table "edxml_package" add constraint "edxml_package_sha256_unique" unique ("sha256");`);
    this.addSql(`create index "edxml_package_sender_code_index" on "edxml_package" ("sender_code");`);
    this.addSql(`create index "edxml_package_document_id_index" on "edxml_package" ("document_id");`);

    this.addSql(`create table "outgoing_document" ("id" uuid not null, "agency_code" varchar(13) not null, "document_id" varchar(300) not null, "year" smallint not null, "number" int not null, "number_text" varchar(20) not null, "notation" varchar(100) not null, "type" varchar(10) not null, "subject" varchar(500) not null, "content" text null, "promulgation_place" varchar(200) not null, "promulgation_date" date not null, "signer" jsonb not null, "priority" smallint not null, "steering_type" smallint not null, "due_date" date null, "to_places" text[] not null, "response_for" jsonb not null, "recipient_spec" text[] not null, "state" "document_state" not null, "source" varchar(10) not null, "package_id" uuid null, "recall_package_id" uuid null, "recall_reason" text null, "last_error" text null, "created_by" varchar(100) not null, "staff" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "outgoing_document_pkey" primary key ("id"));`);
    this.addSql(`create index "outgoing_document_agency_code_index" on "outgoing_document" ("agency_code");`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_document_id_unique" unique ("document_id");`);
    this.addSql(`create index "outgoing_document_state_index" on "outgoing_document" ("state");`);
    this.addSql(`create index "outgoing_document_created_at_index" on "outgoing_document" ("created_at");`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_register_unique" unique ("agency_code", "year", "number");`);

    this.addSql(`create table "document_event" ("id" bigserial primary key, "document_id" uuid not null, "delivery_id" uuid null, "recipient_code" varchar(13) null, "type" varchar(50) not null, "state" varchar(30) null, "status_code" varchar(2) null, "status_id" uuid null, "details" jsonb null, "at" timestamptz not null);`);
    this.addSql(`create index "document_event_document_id_index" on "document_event" ("document_id");`);

    this.addSql(`create table "document_attachment" ("document_id" uuid not null, "index" smallint not null, "name" varchar(255) not null, "content_type" varchar(150) not null, "size" int not null, "sha256" varchar(64) not null, "content" bytea not null, constraint "document_attachment_pkey" primary key ("document_id", "index"));`);

    this.addSql(`create table "delivery" ("id" uuid not null, "document_id" uuid not null, "recipient_code" varchar(13) not null, "state" "delivery_state" not null, "status_code" varchar(2) null, "status_at" timestamptz null, "attempts" int not null default 0, "last_error" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "delivery_document_id_index" on "delivery" ("document_id");`);
    this.addSql(`create index "delivery_recipient_code_index" on "delivery" ("recipient_code");`);
    this.addSql(`create index "delivery_state_index" on "delivery" ("state");`);
    this.addSql(`alter table "delivery" add constraint "delivery_document_recipient_unique" unique ("document_id", "recipient_code");`);

    this.addSql(`create table "inbox_item" ("id" uuid not null, "agency_code" varchar(13) not null, "package_id" uuid not null, "delivery_id" uuid null, "sender_code" varchar(13) not null, "sender_name" varchar(500) not null, "document_id" varchar(300) not null, "subject" varchar(1000) not null, "metadata" jsonb not null, "attachments" jsonb not null, "verification" jsonb not null, "state" "delivery_state" not null, "status_code" varchar(2) not null, "status_at" timestamptz not null, "arrival_number" int null, "arrival_year" smallint null, "withdrawn_at" timestamptz null, "received_at" timestamptz not null, "updated_at" timestamptz not null, constraint "inbox_item_pkey" primary key ("id"));`);
    this.addSql(`create index "inbox_item_agency_code_index" on "inbox_item" ("agency_code");`);
    this.addSql(`alter table "inbox_item" add constraint "inbox_item_delivery_id_unique" unique ("delivery_id");`);
    this.addSql(`create index "inbox_item_document_id_index" on "inbox_item" ("document_id");`);
    this.addSql(`create index "inbox_item_state_index" on "inbox_item" ("state");`);
    this.addSql(`create index "inbox_item_received_at_index" on "inbox_item" ("received_at");`);
    this.addSql(`alter table "inbox_item" add constraint "inbox_item_agency_package_unique" unique ("agency_code", "package_id");`);

    this.addSql(`create table "register_counter" ("agency_code" varchar(13) not null, "year" smallint not null, "kind" varchar(3) not null, "last" int not null, constraint "register_counter_pkey" primary key ("agency_code", "year", "kind"));`);

    this.addSql(`create table "status_record" ("id" uuid not null, "delivery_id" uuid not null, "inbox_item_id" uuid null, "code" varchar(2) not null, "from_code" varchar(13) not null, "description" text null, "staff" jsonb null, "package_id" uuid not null, "carried" boolean not null default false, "carried_at" timestamptz null, "created_at" timestamptz not null, constraint "status_record_pkey" primary key ("id"));`);
    this.addSql(`create index "status_record_delivery_id_index" on "status_record" ("delivery_id");`);
    this.addSql(`create index "status_record_inbox_item_id_index" on "status_record" ("inbox_item_id");`);
    this.addSql(`create index "status_record_carried_index" on "status_record" ("carried");`);

    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_package_id_foreign" foreign key ("package_id") references "edxml_package" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_recall_package_id_foreign" foreign key ("recall_package_id") references "edxml_package" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "document_event" add constraint "document_event_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade;`);

    this.addSql(`alter table "document_attachment" add constraint "document_attachment_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "delivery" add constraint "delivery_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade;`);

    this.addSql(`alter table "inbox_item" add constraint "inbox_item_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
    this.addSql(`alter table "inbox_item" add constraint "inbox_item_package_id_foreign" foreign key ("package_id") references "edxml_package" ("id") on update cascade;`);

    this.addSql(`alter table "status_record" add constraint "status_record_package_id_foreign" foreign key ("package_id") references "edxml_package" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outgoing_document" drop constraint "outgoing_document_package_id_foreign";`);

    this.addSql(`alter table "outgoing_document" drop constraint "outgoing_document_recall_package_id_foreign";`);

    this.addSql(`alter table "inbox_item" drop constraint "inbox_item_package_id_foreign";`);

    this.addSql(`alter table "status_record" drop constraint "status_record_package_id_foreign";`);

    this.addSql(`alter table "document_event" drop constraint "document_event_document_id_foreign";`);

    this.addSql(`alter table "document_attachment" drop constraint "document_attachment_document_id_foreign";`);

    this.addSql(`alter table "delivery" drop constraint "delivery_document_id_foreign";`);

    this.addSql(`drop table if exists "edxml_package" cascade;`);

    this.addSql(`drop table if exists "outgoing_document" cascade;`);

    this.addSql(`drop table if exists "document_event" cascade;`);

    this.addSql(`drop table if exists "document_attachment" cascade;`);

    this.addSql(`drop table if exists "delivery" cascade;`);

    this.addSql(`drop table if exists "inbox_item" cascade;`);

    this.addSql(`drop table if exists "register_counter" cascade;`);

    this.addSql(`drop table if exists "status_record" cascade;`);

    this.addSql(`drop type "package_kind";`);
    this.addSql(`drop type "document_state";`);
    this.addSql(`drop type "delivery_state";`);
  }

}

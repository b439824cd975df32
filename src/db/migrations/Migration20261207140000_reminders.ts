import { Migration } from '@mikro-orm/migrations';

/**
 * Reminders of issue 18 (src/reminders, src/webhooks): the console's list of reminders per agency,
 * with the unique keys that make each deadline remind each agency once per threshold (and one digest
 * per agency and day) whatever the number of workers; the e-mail and webhook outbox rows; the
 * webhooks with their sealed secrets and delivery log; where the deadline scan stands. Users get an
 * e-mail address, where the reminders of their agency go.
 */
export class Migration20261207140000_reminders extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "reminder_type" as enum ('due_soon', 'overdue', 'digest');`);
    this.addSql(`create type "reminder_side" as enum ('recipient', 'sender');`);
    this.addSql(`create type "reminder_subject" as enum ('inbox_item', 'delivery');`);
    this.addSql(`create type "reminder_mail_state" as enum ('pending', 'sent', 'failed');`);
    this.addSql(`create type "webhook_delivery_state" as enum ('pending', 'delivered', 'failed', 'cancelled');`);

    this.addSql(`create table "reminder" ("id" uuid not null, "agency_code" varchar(13) not null, "type" "reminder_type" not null, "deadline_kind" varchar(20) null, "side" "reminder_side" null, "subject_type" "reminder_subject" null, "subject_id" uuid null, "digest_day" date null, "due" timestamptz null, "title" varchar(1000) not null, "details" jsonb not null, "read_at" timestamptz null, "read_by" varchar(100) null, "created_at" timestamptz not null, constraint "reminder_pkey" primary key ("id"));`);
    this.addSql(`create index "reminder_list_index" on "reminder" ("agency_code", "created_at", "id");`);
    this.addSql(`alter table "reminder" add constraint "reminder_deadline_unique" unique ("deadline_kind", "subject_id", "type", "agency_code");`);
    this.addSql(`alter table "reminder" add constraint "reminder_digest_unique" unique ("agency_code", "digest_day");`);
    this.addSql(`alter table "reminder" add constraint "reminder_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);

    this.addSql(`create table "reminder_digest" ("agency_code" varchar(13) not null, "day" date not null, "due_soon" int not null, "overdue" int not null, "reminder_id" uuid null, "created_at" timestamptz not null, constraint "reminder_digest_pkey" primary key ("agency_code", "day"));`);

    this.addSql(`create table "reminder_mail" ("id" uuid not null, "reminder_id" uuid not null, "recipients" text[] not null, "state" "reminder_mail_state" not null, "attempts" int not null default 0, "last_error" varchar(500) null, "message_id" varchar(300) null, "sent_at" timestamptz null, "created_at" timestamptz not null, constraint "reminder_mail_pkey" primary key ("id"));`);
    this.addSql(`alter table "reminder_mail" add constraint "reminder_mail_reminder_id_unique" unique ("reminder_id");`);
    this.addSql(`create index "reminder_mail_pending_index" on "reminder_mail" ("created_at") where "state" = 'pending';`);

    this.addSql(`create table "reminder_scan" ("source" varchar(20) not null, "after_id" uuid null, "pass_started_at" timestamptz not null, "updated_at" timestamptz not null, constraint "reminder_scan_pkey" primary key ("source"));`);

    this.addSql(`create table "webhook" ("id" uuid not null, "agency_code" varchar(13) not null, "url" varchar(2000) not null, "secret_sealed" text not null, "events" text[] not null, "description" varchar(300) null, "created_by" varchar(100) not null, "created_at" timestamptz not null, "deleted_at" timestamptz null, constraint "webhook_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_agency_index" on "webhook" ("agency_code", "created_at", "id");`);
    this.addSql(`alter table "webhook" add constraint "webhook_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);

    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "webhook_id" uuid not null, "event_id" uuid not null, "event_type" varchar(50) not null, "body" text not null, "state" "webhook_delivery_state" not null, "attempts" int not null default 0, "last_status" smallint null, "last_error" varchar(500) null, "delivered_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_log_index" on "webhook_delivery" ("webhook_id", "created_at", "id");`);
    this.addSql(`create index "webhook_delivery_pending_index" on "webhook_delivery" ("created_at") where "state" = 'pending';`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_event_unique" unique ("webhook_id", "event_id");`);

    this.addSql(`create table "webhook_attempt" ("id" uuid not null, "delivery_id" uuid not null, "attempt" smallint not null, "at" timestamptz not null, "status" smallint null, "error" varchar(500) null, "duration_ms" int not null, constraint "webhook_attempt_pkey" primary key ("id"));`);
    this.addSql(`alter table "webhook_attempt" add constraint "webhook_attempt_delivery_attempt_unique" unique ("delivery_id", "attempt");`);

    this.addSql(`alter table "app_user" add column "email" varchar(320) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "app_user" drop column if exists "email";`);
    this.addSql(`drop table if exists "webhook_attempt" cascade;`);
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "webhook" cascade;`);
    this.addSql(`drop table if exists "reminder_scan" cascade;`);
    this.addSql(`drop table if exists "reminder_mail" cascade;`);
    this.addSql(`drop table if exists "reminder_digest" cascade;`);
    this.addSql(`drop table if exists "reminder" cascade;`);
    this.addSql(`drop type if exists "webhook_delivery_state";`);
    this.addSql(`drop type if exists "reminder_mail_state";`);
    this.addSql(`drop type if exists "reminder_subject";`);
    this.addSql(`drop type if exists "reminder_side";`);
    this.addSql(`drop type if exists "reminder_type";`);
  }

}

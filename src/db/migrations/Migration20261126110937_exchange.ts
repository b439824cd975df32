import { Migration } from '@mikro-orm/migrations';

export class Migration20261126110937_exchange extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "exchange_direction" as enum ('in', 'out');`);
    this.addSql(`create type "exchange_kind" as enum ('edoc', 'status');`);
    this.addSql(`create type "exchange_state" as enum ('received', 'waiting', 'acked');`);
    this.addSql(`create type "partner_mode" as enum ('push', 'pull');`);
    this.addSql(`create type "status_direction" as enum ('in', 'out');`);
    this.addSql(`create table "exchange_message" ("id" uuid not null, "direction" "exchange_direction" not null, "partner_id" varchar(100) null, "package_id" uuid not null, "kind" "exchange_kind" not null, "sender_code" varchar(13) not null, "recipient_codes" text[] not null, "dedup_key" varchar(100) null, "external_id" varchar(200) null, "delivery_id" uuid null, "status_id" uuid null, "state" "exchange_state" not null, "acked_at" timestamptz null, "created_at" timestamptz not null, constraint "exchange_message_pkey" primary key ("id"));`);
    this.addSql(`create index "exchange_message_partner_id_index" on "exchange_message" ("partner_id");`);
    this.addSql(`create index "exchange_message_package_id_index" on "exchange_message" ("package_id");`);
    this.addSql(`create index "exchange_message_state_index" on "exchange_message" ("state");`);
    this.addSql(`create index "exchange_message_created_at_index" on "exchange_message" ("created_at");`);
    this.addSql(`alter table "exchange_message" add constraint "exchange_message_dedup_unique" unique ("direction", "dedup_key");`);
    this.addSql(`alter table "exchange_message" add constraint "exchange_message_external_unique" unique ("partner_id", "direction", "external_id");`);

    this.addSql(`alter table "exchange_message" add constraint "exchange_message_package_id_foreign" foreign key ("package_id") references "edxml_package" ("id") on update cascade;`);

    this.addSql(`alter table "partner" add column "legacy" boolean not null default false, add column "mode" "partner_mode" not null default 'push', add column "max_attempts" int not null default 10, add column "consecutive_failures" int not null default 0, add column "circuit_open_until" timestamptz null, add column "last_error" text null;`);

    this.addSql(`alter table "inbox_item" add column "partner_id" varchar(100) null;`);

    this.addSql(`alter table "status_record" add column "partner_id" varchar(100) null, add column "direction" "status_direction" not null default 'out';`);
    this.addSql(`alter table "status_record" alter column "delivery_id" drop default;`);
    this.addSql(`alter table "status_record" alter column "delivery_id" type uuid using ("delivery_id"::text::uuid);`);
    this.addSql(`alter table "status_record" alter column "delivery_id" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "exchange_message" cascade;`);

    this.addSql(`alter table "inbox_item" drop column "partner_id";`);

    this.addSql(`alter table "partner" drop column "legacy", drop column "mode", drop column "max_attempts", drop column "consecutive_failures", drop column "circuit_open_until", drop column "last_error";`);

    this.addSql(`alter table "status_record" drop column "partner_id", drop column "direction";`);

    this.addSql(`alter table "status_record" alter column "delivery_id" drop default;`);
    this.addSql(`alter table "status_record" alter column "delivery_id" type uuid using ("delivery_id"::text::uuid);`);
    this.addSql(`alter table "status_record" alter column "delivery_id" set not null;`);

    this.addSql(`drop type "exchange_direction";`);
    this.addSql(`drop type "exchange_kind";`);
    this.addSql(`drop type "exchange_state";`);
    this.addSql(`drop type "partner_mode";`);
    this.addSql(`drop type "status_direction";`);
  }

}

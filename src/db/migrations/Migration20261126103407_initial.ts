import { Migration } from '@mikro-orm/migrations';

export class Migration20261126103407_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "partner_kind" as enum ('lienthong', 'axis');`);
    this.addSql(`create type "agency_level" as enum ('province', 'department', 'district', 'commune', 'other');`);
    this.addSql(`create type "agency_endpoint" as enum ('local', 'remote');`);
    this.addSql(`create table "audit_event" ("id" bigserial primary key, "at" timestamptz not null, "actor_type" varchar(20) not null, "actor_id" varchar(100) null, "agency_code" varchar(13) null, "action" varchar(100) not null, "subject_type" varchar(50) not null, "subject_id" varchar(200) not null, "details" jsonb null, "request_id" varchar(100) null);`);
    this.addSql(`create index "audit_event_at_index" on "audit_event" ("at");`);
    this.addSql(`create index "audit_event_agency_code_index" on "audit_event" ("agency_code");`);

    this.addSql(`create table "agency_group" ("code" varchar(100) not null, "name" varchar(500) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "agency_group_pkey" primary key ("code"));`);

    this.addSql(`create table "idempotency_record" ("principal" varchar(150) not null, "key" varchar(200) not null, "route" varchar(200) not null, "request_hash" varchar(64) not null, "status" int not null, "body" jsonb not null, "created_at" timestamptz not null, constraint "idempotency_record_pkey" primary key ("principal", "key"));`);
    this.addSql(`create index "idempotency_record_created_at_index" on "idempotency_record" ("created_at");`);

    this.addSql(`create table "partner" ("id" varchar(100) not null, "name" varchar(300) not null, "kind" "partner_kind" not null, "base_url" varchar(2000) null, "credentials_encrypted" text null, "agencies" text[] not null, "token_hash" varchar(64) not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "partner_pkey" primary key ("id"));`);
    this.addSql(`alter table "partner" add constraint "partner_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "partner_agencies_gin" on "partner" using gin ("agencies");`);

    this.addSql(`create table "agency" ("code" varchar(13) not null, "name" varchar(500) not null, "level" "agency_level" not null, "parent_code" varchar(13) null, "address" varchar(500) null, "email" varchar(320) null, "phone" varchar(50) null, "fax" varchar(50) null, "website" varchar(300) null, "endpoint_type" "agency_endpoint" not null, "partner_id" varchar(100) null, "valid_from" date null, "valid_to" date null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "agency_pkey" primary key ("code"));`);
    this.addSql(`create index "agency_parent_code_index" on "agency" ("parent_code");`);
    this.addSql(`create index "agency_partner_id_index" on "agency" ("partner_id");`);

    this.addSql(`create table "agency_group_member" ("group_code" varchar(100) not null, "agency_code" varchar(13) not null, constraint "agency_group_member_pkey" primary key ("group_code", "agency_code"));`);
    this.addSql(`create index "agency_group_member_agency_code_index" on "agency_group_member" ("agency_code");`);

    this.addSql(`create table "app_user" ("id" uuid not null, "agency_code" varchar(13) not null, "name" varchar(300) not null, "roles" text[] not null, "token_hash" varchar(64) not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "app_user_pkey" primary key ("id"));`);
    this.addSql(`create index "app_user_agency_code_index" on "app_user" ("agency_code");`);
    this.addSql(`alter table "app_user" add constraint "app_user_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "worker_heartbeat" ("worker_id" varchar(200) not null, "last_sweep_at" timestamptz not null, "sweeps" bigint not null default 0, constraint "worker_heartbeat_pkey" primary key ("worker_id"));`);

    this.addSql(`alter table "agency" add constraint "agency_parent_code_foreign" foreign key ("parent_code") references "agency" ("code") on update cascade on delete set null;`);
    this.addSql(`alter table "agency" add constraint "agency_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "agency_group_member" add constraint "agency_group_member_group_code_foreign" foreign key ("group_code") references "agency_group" ("code") on update cascade on delete cascade;`);
    this.addSql(`alter table "agency_group_member" add constraint "agency_group_member_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);

    this.addSql(`alter table "app_user" add constraint "app_user_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);

    // Reviewed addition: the audit trail is append-only at the database level (DESIGN.md §4).
    this.addSql(`create or replace function lienthong_refuse_change() returns trigger language plpgsql as $$ begin raise exception '% is append-only: % refused', TG_TABLE_NAME, TG_OP using errcode = 'P0001'; end $$;`);
    this.addSql(`create trigger "audit_event_append_only" before update or delete on "audit_event" for each row execute function lienthong_refuse_change();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "audit_event_append_only" on "audit_event";`);
    this.addSql(`alter table "agency_group_member" drop constraint "agency_group_member_group_code_foreign";`);

    this.addSql(`alter table "agency" drop constraint "agency_partner_id_foreign";`);

    this.addSql(`alter table "agency" drop constraint "agency_parent_code_foreign";`);

    this.addSql(`alter table "agency_group_member" drop constraint "agency_group_member_agency_code_foreign";`);

    this.addSql(`alter table "app_user" drop constraint "app_user_agency_code_foreign";`);

    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "agency_group" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "partner" cascade;`);

    this.addSql(`drop table if exists "agency" cascade;`);

    this.addSql(`drop table if exists "agency_group_member" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);

    this.addSql(`drop table if exists "worker_heartbeat" cascade;`);

    this.addSql(`drop type "partner_kind";`);
    this.addSql(`drop type "agency_level";`);
    this.addSql(`drop type "agency_endpoint";`);
  }

}

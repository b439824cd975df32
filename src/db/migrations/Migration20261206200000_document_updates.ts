import { Migration } from '@mikro-orm/migrations';

/** Updates of sent documents (BussinessDocType 2) and each recipient's answer (issue 12). */
export class Migration20261206200000_document_updates extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "delivery_update_state" as enum ('requested', 'sent', 'accepted', 'refused', 'superseded');`);
    this.addSql(`create table "delivery_update" ("id" uuid not null, "update_id" uuid not null, "delivery_id" uuid not null, "package_id" uuid not null, "state" "delivery_update_state" not null, "answered_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "delivery_update_pkey" primary key ("id"));`);
    this.addSql(`create index "delivery_update_update_id_index" on "delivery_update" ("update_id");`);
    this.addSql(`create index "delivery_update_delivery_id_index" on "delivery_update" ("delivery_id");`);
    this.addSql(`create index "delivery_update_state_index" on "delivery_update" ("state");`);
    this.addSql(`create table "document_update" ("id" uuid not null, "document_id" uuid not null, "reason" text not null, "changes" jsonb not null, "created_by" varchar(100) not null, "created_at" timestamptz not null, constraint "document_update_pkey" primary key ("id"));`);
    this.addSql(`create index "document_update_document_id_index" on "document_update" ("document_id");`);
    this.addSql(`alter table "document_update" add constraint "document_update_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "delivery_update" cascade;`);
    this.addSql(`drop table if exists "document_update" cascade;`);
    this.addSql(`drop type "delivery_update_state";`);
  }

}

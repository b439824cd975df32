import { Migration } from '@mikro-orm/migrations';

/** Updates (BussinessDocType 2) arrive as versions of the item they update (issue 12). */
export class Migration20261206194500_inbox_versions extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "inbox_version_state" as enum ('pending', 'accepted', 'refused');`);
    this.addSql(`create table "inbox_version" ("id" uuid not null, "inbox_item_id" uuid not null, "package_id" uuid not null, "reason" text null, "subject" varchar(1000) not null, "metadata" jsonb not null, "attachments" jsonb not null, "state" "inbox_version_state" not null, "received_at" timestamptz not null, "answered_at" timestamptz null, constraint "inbox_version_pkey" primary key ("id"));`);
    this.addSql(`create index "inbox_version_inbox_item_id_index" on "inbox_version" ("inbox_item_id");`);
    this.addSql(`alter table "inbox_version" add constraint "inbox_version_item_package_unique" unique ("inbox_item_id", "package_id");`);
    this.addSql(`alter table "inbox_version" add constraint "inbox_version_package_id_foreign" foreign key ("package_id") references "edxml_package" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "inbox_version" cascade;`);
    this.addSql(`drop type "inbox_version_state";`);
  }

}

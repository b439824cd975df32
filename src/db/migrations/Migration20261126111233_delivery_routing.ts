import { Migration } from '@mikro-orm/migrations';

export class Migration20261126111233_delivery_routing extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "rate_window" ("key" varchar(150) not null, "window_start" timestamptz not null, "count" int not null, constraint "rate_window_pkey" primary key ("key", "window_start"));`);

    this.addSql(`alter table "delivery" add column "package_id" uuid null, add column "partner_id" varchar(100) null, add column "remote_receipt" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rate_window" cascade;`);

    this.addSql(`alter table "delivery" drop column "package_id", drop column "partner_id", drop column "remote_receipt";`);
  }

}

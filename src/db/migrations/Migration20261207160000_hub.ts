import { Migration } from '@mikro-orm/migrations';

/**
 * The axis-compatible hub (issue 19, src/hub): the document-management systems that call this node
 * with the national axis SDK (system id, sealed HMAC secret, signing scheme, the pull partner they act
 * through), and the request signatures already taken, for replay protection across api processes.
 */
export class Migration20261207160000_hub extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "hub_system" ("id" varchar(100) not null, "name" varchar(300) not null, "partner_id" varchar(100) not null, "secret_encrypted" text not null, "signing" varchar(50) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, constraint "hub_system_pkey" primary key ("id"));`);
    this.addSql(`create index "hub_system_partner_id_index" on "hub_system" ("partner_id");`);
    this.addSql(`alter table "hub_system" add constraint "hub_system_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "hub_seen_request" ("system_id" varchar(100) not null, "signature_hash" varchar(64) not null, "expires_at" timestamptz not null, constraint "hub_seen_request_pkey" primary key ("system_id", "signature_hash"));`);
    this.addSql(`create index "hub_seen_request_expires_at_index" on "hub_seen_request" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "hub_seen_request" cascade;`);
    this.addSql(`drop table if exists "hub_system" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * People log in to the console (issue 14): a user may have a username and an argon2id password
 * hash, counts wrong passwords for the lock-out, and holds sessions kept here so that any api
 * process serves any user. A session row keeps the SHA-256 of its cookie only.
 */
export class Migration20261206213000_console_accounts extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "app_user" add column "username" varchar(100) null, add column "password_hash" varchar(200) null, add column "failed_logins" int not null default 0, add column "locked_until" timestamptz null, add column "password_changed_at" timestamptz null;`);
    this.addSql(`create unique index "app_user_username_unique" on "app_user" (lower("username"));`);
    this.addSql(`create table "console_session" ("id_hash" varchar(64) not null, "user_id" uuid not null, "csrf_token" varchar(64) not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null, constraint "console_session_pkey" primary key ("id_hash"));`);
    this.addSql(`create index "console_session_user_id_index" on "console_session" ("user_id");`);
    this.addSql(`create index "console_session_expires_at_index" on "console_session" ("expires_at");`);
    this.addSql(`alter table "console_session" add constraint "console_session_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "console_session" cascade;`);
    this.addSql(`drop index if exists "app_user_username_unique";`);
    this.addSql(`alter table "app_user" drop column "username", drop column "password_hash", drop column "failed_logins", drop column "locked_until", drop column "password_changed_at";`);
  }

}

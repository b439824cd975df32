import { Migration } from '@mikro-orm/migrations';

/**
 * Reorganisation (issue 19): an agency's successors, the instant it closed and the legal act that
 * closed it; a delivery remembers the closed agency it was addressed to when it went to the successor.
 */
export class Migration20261207120000_agency_succession extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "agency" add column "successor_codes" text[] null, add column "closed_at" timestamptz null, add column "decision" jsonb null;`);
    this.addSql(`alter table "delivery" add column "redirected_from" varchar(13) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery" drop column "redirected_from";`);
    this.addSql(`alter table "agency" drop column "successor_codes", drop column "closed_at", drop column "decision";`);
  }

}

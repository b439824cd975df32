import { Migration } from '@mikro-orm/migrations';

/**
 * Every version of a received document is kept (issue 12: updates carrying files, and the archive
 * sealing each version): an update remembers what the item showed when it arrived, so the document
 * as first received stays after a 15 puts the update on the item. Rows already there get it where it
 * is still known: no update of their item was accepted, so the item still shows the first version.
 */
export class Migration20261208110000_version_history extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "inbox_version" add column "previous" jsonb null;`);
    this.addSql(`update "inbox_version" v set "previous" = jsonb_build_object('packageId', i."package_id", 'subject', i."subject", 'metadata', i."metadata", 'attachments', i."attachments") from "inbox_item" i where i."id" = v."inbox_item_id" and v."previous" is null and not exists (select 1 from "inbox_version" a where a."inbox_item_id" = i."id" and a."state" = 'accepted');`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "inbox_version" drop column "previous";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/** A replacement (BussinessDocType 3) names the outgoing document it replaces (issue 12). */
export class Migration20261206195500_replacements extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "outgoing_document" add column "replaces" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outgoing_document" drop column "replaces";`);
  }

}

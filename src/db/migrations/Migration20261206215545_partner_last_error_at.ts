import { Migration } from '@mikro-orm/migrations';

/** When a partner's last error happened (issue 15: shown on GET /v1/partners/{id} with the error). */
export class Migration20261206215545_partner_last_error_at extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "partner" add column "last_error_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "partner" drop column "last_error_at";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

export class Migration20261126140533_recall_per_destination extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "delivery" add column "recall_package_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery" drop column "recall_package_id";`);
  }

}

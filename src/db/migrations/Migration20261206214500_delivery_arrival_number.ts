import { Migration } from '@mikro-orm/migrations';

/** The sender's delivery keeps the số đến the recipient gave (read from its signed 03; issue 14). */
export class Migration20261206214500_delivery_arrival_number extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "delivery" add column "arrival_number" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery" drop column "arrival_number";`);
  }

}

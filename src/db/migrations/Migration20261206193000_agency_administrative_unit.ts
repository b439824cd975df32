import { Migration } from '@mikro-orm/migrations';

/** An agency's administrative unit (địa danh), the default place of promulgation (issue 13; NĐ 30/2020 Phụ lục I II.4.a). */
export class Migration20261206193000_agency_administrative_unit extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "agency" add column "administrative_unit" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "agency" drop column "administrative_unit";`);
  }

}

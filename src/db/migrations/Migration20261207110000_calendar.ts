import { Migration } from '@mikro-orm/migrations';

/**
 * The working-day calendar of issue 18 (src/calendar): one row per year an administrator recorded the
 * Government's announcements for. The law's holidays are computed from the year (and the lunar
 * calendar), so a year without a row is still complete.
 */
export class Migration20261207110000_calendar extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "calendar_year" ("year" smallint not null, "tet_days" jsonb null, "national_day_adjacent" date null, "days_off" jsonb not null, "working_days" jsonb not null, "working_hours" jsonb null, "updated_by" varchar(100) not null, "updated_at" timestamptz not null, constraint "calendar_year_pkey" primary key ("year"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "calendar_year" cascade;`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Registers of issue 13 (src/registers): series besides the default one (NĐ 30/2020 Điều 15.1.a),
 * counters and numbers per series, and paper documents in the same series as electronic ones
 * (Điều 15.1, 22.2). What existed is in the default series.
 */
export class Migration20261207090000_registers extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "register_series" ("agency_code" varchar(13) not null, "kind" varchar(3) not null, "code" varchar(20) not null, "name" varchar(200) not null, "types" text[] not null, "created_by" varchar(100) not null, "created_at" timestamptz not null, constraint "register_series_pkey" primary key ("agency_code", "kind", "code"));`);
    this.addSql(`alter table "register_series" add constraint "register_series_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);

    this.addSql(`alter table "register_counter" drop constraint "register_counter_pkey";`);
    this.addSql(`alter table "register_counter" add column "series" varchar(20) not null default 'default';`);
    this.addSql(`alter table "register_counter" add constraint "register_counter_pkey" primary key ("agency_code", "year", "kind", "series");`);

    this.addSql(`alter table "outgoing_document" drop constraint "outgoing_document_register_unique";`);
    this.addSql(`alter table "outgoing_document" add column "series" varchar(20) not null default 'default';`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_register_unique" unique ("agency_code", "series", "year", "number");`);

    this.addSql(`alter table "inbox_item" add column "arrival_series" varchar(20) null;`);
    this.addSql(`update "inbox_item" set "arrival_series" = 'default' where "arrival_number" is not null;`);

    this.addSql(`create table "paper_document" ("id" uuid not null, "agency_code" varchar(13) not null, "kind" varchar(3) not null, "series" varchar(20) not null, "year" smallint not null, "number" int not null, "number_text" varchar(20) not null, "registered_on" date not null, "type" varchar(10) null, "type_name" varchar(100) null, "code_text" varchar(150) not null, "notation" varchar(100) null, "subject" varchar(1000) not null, "author" varchar(500) null, "document_date" date null, "signer" varchar(300) null, "recipients" text[] not null, "holder" varchar(300) null, "handed_on" date null, "copies" int null, "note" text null, "created_by" varchar(100) not null, "created_at" timestamptz not null, constraint "paper_document_pkey" primary key ("id"));`);
    this.addSql(`create index "paper_document_agency_code_index" on "paper_document" ("agency_code");`);
    this.addSql(`alter table "paper_document" add constraint "paper_document_register_unique" unique ("agency_code", "kind", "series", "year", "number");`);
    this.addSql(`alter table "paper_document" add constraint "paper_document_agency_code_foreign" foreign key ("agency_code") references "agency" ("code") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "paper_document" cascade;`);
    this.addSql(`alter table "inbox_item" drop column "arrival_series";`);
    this.addSql(`alter table "outgoing_document" drop constraint "outgoing_document_register_unique";`);
    this.addSql(`alter table "outgoing_document" drop column "series";`);
    this.addSql(`alter table "outgoing_document" add constraint "outgoing_document_register_unique" unique ("agency_code", "year", "number");`);
    this.addSql(`alter table "register_counter" drop constraint "register_counter_pkey";`);
    this.addSql(`alter table "register_counter" drop column "series";`);
    this.addSql(`alter table "register_counter" add constraint "register_counter_pkey" primary key ("agency_code", "year", "kind");`);
    this.addSql(`drop table if exists "register_series" cascade;`);
  }

}

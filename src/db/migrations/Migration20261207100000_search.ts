import { Migration } from '@mikro-orm/migrations';

/** Vietnamese letters with their marks (NFC), and the same letters without them: the fallback's table. */
const MARKED =
  'àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ';
const PLAIN = 'aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyAAAAAAAAAAAAAAAAADEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYY';

/**
 * Search (issue 13): `?q=` on GET /v1/documents and GET /v1/inbox finds words with or without their
 * marks ("triển khai", "trien khai"), in the trích yếu, the số/ký hiệu and the names, through a GIN
 * index on a tsvector that triggers keep.
 *
 * Text is folded by `lt_fold`: marks off (PostgreSQL's `unaccent` where the server has it — Debian's
 * PostgreSQL and the embedded one of `npm start` both do; otherwise `lt_unaccent` falls back to a
 * table of the Vietnamese letters of its own), lower case, every run of other characters one space
 * (15/QĐ-UBND → "15 qd ubnd"), leading zeros off a number (05 → 5). src/util/search-text.ts folds
 * the words a clerk types the same way. The folded words go into a 'simple' tsvector (no stemming:
 * Vietnamese syllables are words of their own).
 *
 * The GIN indexes are written through (fastupdate off): a search never scans a list of pending
 * entries, whose length would make its time depend on when the index was last cleaned up.
 *
 * Outgoing documents find their recipients' names too: a statement trigger on delivery asks the
 * document's row trigger to fold them in once a statement has inserted its deliveries.
 */
export class Migration20261207100000_search extends Migration {

  override async up(): Promise<void> {
    // The extension only when the server has it and lets us create it (a trusted extension since
    // PostgreSQL 13); the search works without it.
    this.addSql(`do $$ begin
      create extension if not exists unaccent;
    exception when others then
      raise notice 'unaccent is not available (%); search folds Vietnamese letters with its own table', sqlerrm;
    end $$;`);
    this.addSql(`do $$
    declare ext_schema text;
    begin
      select n.nspname into ext_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent';
      if ext_schema is not null then
        execute format('create or replace function lt_unaccent(value text) returns text language sql immutable parallel safe strict as %L',
          format('select %I.unaccent(%L::regdictionary, value)', ext_schema, ext_schema || '.unaccent'));
      else
        execute format('create or replace function lt_unaccent(value text) returns text language sql immutable parallel safe strict as %L',
          format('select translate(value, %L, %L)', '${MARKED}', '${PLAIN}'));
      end if;
    end $$;`);
    this.addSql(`create or replace function lt_fold(value text) returns text language sql immutable parallel safe strict as $$
      select trim(regexp_replace(regexp_replace(lower(lt_unaccent(value)), '[^a-z0-9]+', ' ', 'g'), '(^| )0+([0-9])', '\\1\\2', 'g'))
    $$;`);

    this.addSql(`alter table "inbox_item" add column "search" tsvector null;`);
    this.addSql(`create or replace function inbox_item_search() returns trigger language plpgsql as $$
    begin
      new.search := to_tsvector('simple', coalesce(lt_fold(concat_ws(' ', new.subject, new.sender_name, new.document_id,
        new.metadata #>> '{messageHeader,code,codeNumber}', new.metadata #>> '{messageHeader,code,codeNotation}')), ''));
      return new;
    end $$;`);
    this.addSql(`create trigger inbox_item_search before insert or update of subject, sender_name, document_id, metadata, search on "inbox_item" for each row execute function inbox_item_search();`);
    this.addSql(`update "inbox_item" set search = null;`);
    this.addSql(`create index "inbox_item_list_index" on "inbox_item" ("agency_code", "received_at", "id");`);
    this.addSql(`create index "inbox_item_search_index" on "inbox_item" using gin ("search") with (fastupdate = off);`);

    this.addSql(`alter table "outgoing_document" add column "search" tsvector null;`);
    this.addSql(`create or replace function outgoing_document_search() returns trigger language plpgsql as $$
    begin
      new.search := to_tsvector('simple', coalesce(lt_fold(concat_ws(' ', new.subject, new.document_id, array_to_string(new.to_places, ' '),
        (select string_agg(a.name, ' ' order by a.name) from delivery d join agency a on a.code = d.recipient_code where d.document_id = new.id))), ''));
      return new;
    end $$;`);
    this.addSql(`create trigger outgoing_document_search before insert or update of subject, document_id, to_places, search on "outgoing_document" for each row execute function outgoing_document_search();`);
    this.addSql(`create or replace function delivery_document_search() returns trigger language plpgsql as $$
    begin
      update outgoing_document set search = null where id in (select distinct document_id from new_deliveries);
      return null;
    end $$;`);
    this.addSql(`create trigger delivery_document_search after insert on "delivery" referencing new table as new_deliveries for each statement execute function delivery_document_search();`);
    this.addSql(`update "outgoing_document" set search = null;`);
    this.addSql(`create index "outgoing_document_list_index" on "outgoing_document" ("agency_code", "created_at", "id");`);
    this.addSql(`create index "outgoing_document_search_index" on "outgoing_document" using gin ("search") with (fastupdate = off);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists delivery_document_search on "delivery";`);
    this.addSql(`drop trigger if exists outgoing_document_search on "outgoing_document";`);
    this.addSql(`drop trigger if exists inbox_item_search on "inbox_item";`);
    this.addSql(`drop function if exists delivery_document_search();`);
    this.addSql(`drop function if exists outgoing_document_search();`);
    this.addSql(`drop function if exists inbox_item_search();`);
    this.addSql(`alter table "outgoing_document" drop column "search";`);
    this.addSql(`alter table "inbox_item" drop column "search";`);
    this.addSql(`drop index if exists "outgoing_document_list_index";`);
    this.addSql(`drop index if exists "inbox_item_list_index";`);
    this.addSql(`drop function if exists lt_fold(text);`);
    this.addSql(`drop function if exists lt_unaccent(text);`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/** Tables whose rows, once written, are evidence: never updated, never deleted. */
const SEALED_TABLES = ['archive_record', 'archive_checkpoint', 'archive_certificate', 'archive_purge'];

export class Migration20261126112201_archive extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "archive_certificate" ("fingerprint_sha256" varchar(64) not null, "certificate_pem" text not null, "created_at" timestamptz not null, constraint "archive_certificate_pkey" primary key ("fingerprint_sha256"));`);

    this.addSql(`create table "archive_chain_head" ("agency_code" varchar(13) not null, "last_index" int not null, "last_hash" varchar(64) not null, "updated_at" timestamptz not null, constraint "archive_chain_head_pkey" primary key ("agency_code"));`);

    this.addSql(`create table "archive_checkpoint" ("id" uuid not null, "agency_code" varchar(13) not null, "chain_index" int not null, "hash" varchar(64) not null, "signed_at" timestamptz not null, "payload" text not null, "signature" text not null, "key_id" uuid not null, "certificate_pem" text not null, "chain_pem" text not null, constraint "archive_checkpoint_pkey" primary key ("id"));`);
    this.addSql(`alter table "archive_checkpoint" add constraint "archive_checkpoint_chain_unique" unique ("agency_code", "chain_index");`);

    this.addSql(`create table "archive_node_key" ("id" uuid not null, "fingerprint_sha256" varchar(64) not null, "certificate_pem" text not null, "chain_pem" text not null, "private_key_encrypted" text not null, "not_before" timestamptz not null, "not_after" timestamptz not null, "created_at" timestamptz not null, constraint "archive_node_key_pkey" primary key ("id"));`);
    this.addSql(`alter table "archive_node_key" add constraint "archive_node_key_fingerprint_sha256_unique" unique ("fingerprint_sha256");`);
    this.addSql(`create index "archive_node_key_created_at_index" on "archive_node_key" ("created_at");`);

    this.addSql(`create table "archive_purge" ("package_id" uuid not null, "sha256" varchar(64) not null, "size" int not null, "purged_at" timestamptz not null, "agencies" text[] not null, constraint "archive_purge_pkey" primary key ("package_id"));`);
    this.addSql(`alter table "archive_purge" add constraint "archive_purge_sha256_unique" unique ("sha256");`);

    this.addSql(`create table "archive_record" ("id" uuid not null, "agency_code" varchar(13) not null, "chain_index" int not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null, "role" varchar(10) not null, "subject_id" uuid not null, "version" int not null, "reason" varchar(10) not null, "document_id" varchar(300) not null, "sealed_at" timestamptz not null, "entry" text not null, "content" text not null, "content_sha256" varchar(64) not null, constraint "archive_record_pkey" primary key ("id"));`);
    this.addSql(`alter table "archive_record" add constraint "archive_record_hash_unique" unique ("hash");`);
    this.addSql(`create index "archive_record_subject_id_index" on "archive_record" ("subject_id");`);
    this.addSql(`create index "archive_record_document_id_index" on "archive_record" ("document_id");`);
    this.addSql(`alter table "archive_record" add constraint "archive_record_chain_unique" unique ("agency_code", "chain_index");`);
    this.addSql(`alter table "archive_record" add constraint "archive_record_subject_version_unique" unique ("subject_id", "role", "version");`);

    this.addSql(`create table "archive_retention" ("agency_code" varchar(13) not null, "attachments_days" int not null, "updated_at" timestamptz not null, "updated_by" varchar(150) not null, constraint "archive_retention_pkey" primary key ("agency_code"));`);

    // Reviewed additions (issue 6). Sealed evidence is append-only at the database level: UPDATE,
    // DELETE and TRUNCATE are refused, whatever the application does.
    for (const table of SEALED_TABLES) {
      this.addSql(`create trigger "${table}_append_only" before update or delete on "${table}" for each row execute function lienthong_refuse_change();`);
      this.addSql(`create trigger "${table}_no_truncate" before truncate on "${table}" for each statement execute function lienthong_refuse_change();`);
    }
    // A record is accepted only if it is what it claims: its hash is the SHA-256 of its entry, the
    // entry names the row's agency, index, previous hash and content digest, and it links to the
    // record before it (or to the genesis hash). A bug or a hand-made INSERT cannot fork the chain.
    this.addSql(`create or replace function lienthong_archive_link() returns trigger language plpgsql as $$
declare
  e jsonb := new.entry::jsonb;
begin
  if new.hash <> encode(sha256(convert_to(new.entry, 'UTF8')), 'hex') then
    raise exception 'archive_record: hash % is not the SHA-256 of its entry', new.hash using errcode = 'P0001';
  end if;
  if new.content_sha256 <> encode(sha256(convert_to(new.content, 'UTF8')), 'hex') then
    raise exception 'archive_record: content_sha256 % is not the SHA-256 of its content', new.content_sha256 using errcode = 'P0001';
  end if;
  if e->>'agency' is distinct from new.agency_code or (e->>'index')::int is distinct from new.chain_index
     or e->>'prevHash' is distinct from new.prev_hash or e->>'contentSha256' is distinct from new.content_sha256 then
    raise exception 'archive_record: the entry does not match the row (agency, index, prevHash, contentSha256)' using errcode = 'P0001';
  end if;
  if new.chain_index = 1 then
    if new.prev_hash <> repeat('0', 64) then
      raise exception 'archive_record: record 1 of % must link to the genesis hash', new.agency_code using errcode = 'P0001';
    end if;
  elsif not exists (select 1 from archive_record r where r.agency_code = new.agency_code and r.chain_index = new.chain_index - 1 and r.hash = new.prev_hash) then
    raise exception 'archive_record: record % of % does not link to record %', new.chain_index, new.agency_code, new.chain_index - 1 using errcode = 'P0001';
  end if;
  return new;
end $$;`);
    this.addSql(`create trigger "archive_record_links" before insert on "archive_record" for each row execute function lienthong_archive_link();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "archive_record_links" on "archive_record";`);
    this.addSql(`drop function if exists lienthong_archive_link();`);
    for (const table of SEALED_TABLES) {
      this.addSql(`drop trigger if exists "${table}_append_only" on "${table}";`);
      this.addSql(`drop trigger if exists "${table}_no_truncate" on "${table}";`);
    }
    this.addSql(`drop table if exists "archive_certificate" cascade;`);

    this.addSql(`drop table if exists "archive_chain_head" cascade;`);

    this.addSql(`drop table if exists "archive_checkpoint" cascade;`);

    this.addSql(`drop table if exists "archive_node_key" cascade;`);

    this.addSql(`drop table if exists "archive_purge" cascade;`);

    this.addSql(`drop table if exists "archive_record" cascade;`);

    this.addSql(`drop table if exists "archive_retention" cascade;`);
  }

}

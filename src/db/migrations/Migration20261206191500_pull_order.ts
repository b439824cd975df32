import { Migration } from '@mikro-orm/migrations';

/** The pull list in arrival order (seq) with a stable cursor, and which messages a partner fetched (issue 12). */
export class Migration20261206191500_pull_order extends Migration {

  override async up(): Promise<void> {
    // Existing rows are numbered in the order they arrived.
    this.addSql(`alter table "exchange_message" add column "seq" bigserial, add column "fetched_at" timestamptz null;`);
    this.addSql(`with ordered as (select id, row_number() over (order by created_at, id) as n from "exchange_message") update "exchange_message" m set seq = ordered.n from ordered where ordered.id = m.id;`);
    this.addSql(`select setval(pg_get_serial_sequence('exchange_message', 'seq'), coalesce((select max(seq) from "exchange_message"), 0) + 1, false);`);
    this.addSql(`alter table "exchange_message" add constraint "exchange_message_seq_unique" unique ("seq");`);
    this.addSql(`create index "exchange_message_pull_index" on "exchange_message" ("partner_id", "state", "seq");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "exchange_message_pull_index";`);
    this.addSql(`alter table "exchange_message" drop column "seq", drop column "fetched_at";`);
  }

}

import { Migration } from '@mikro-orm/migrations';

/**
 * Deadlines on inbox items and deliveries (issue 18, src/deadlines).
 *
 * Each item and each delivery has a row of deadlines beside it (inbox_item_deadline,
 * delivery_deadline): narrow rows with few indexes, so that working out 100,000 rows' deadlines again
 * after a calendar change does not rewrite the items and their search index.
 *
 * When the 01, 02, 03, 06 and 15 came is written there by triggers, from the status code and time
 * the one writer sets (delivery/writer.ts): every path that moves an item or a delivery — a clerk's
 * answer, a status carried from a local or a remote recipient — records it, and no code has to
 * remember to. The first status at or past 03 counts as the registration (a remote recipient may
 * skip one); the 01, or the first status of the recipient, as the arrival of a delivery.
 *
 * The deadlines themselves depend on the working-day calendar, which lives in the application: they
 * are worked out there and stored (src/deadlines/deadlines.repository.ts), `computed_at` null meaning
 * "to be worked out". The triggers set it null when what they depend on changes: a new row, a new
 * due date or priority, a delivery's arrival; and a year of the calendar recorded or changed resets
 * every row whose deadlines fall in or after that year (a deadline before the year never looked at
 * it: the walks go forward from the arrival, and back from the deadline for its warning).
 *
 * Partial indexes serve the lists' filters and counters on what is still open, and the rows waiting
 * to be worked out.
 */
export class Migration20261207130000_deadlines extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "inbox_item_deadline" ("item_id" uuid not null, "agency_code" varchar(13) not null, "arrived_at" timestamptz not null, "priority" smallint not null, "due_date" date null, "registered_at" timestamptz null, "refused_at" timestamptz null, "completed_at" timestamptz null, "withdrawn_at" timestamptz null, "registration_due" timestamptz null, "registration_warn_at" timestamptz null, "processing_due" timestamptz null, "processing_warn_at" timestamptz null, "computed_at" timestamptz null, constraint "inbox_item_deadline_pkey" primary key ("item_id"));`);
    this.addSql(`alter table "inbox_item_deadline" add constraint "inbox_item_deadline_item_id_foreign" foreign key ("item_id") references "inbox_item" ("id") on update cascade on delete cascade;`);
    this.addSql(`create table "delivery_deadline" ("delivery_id" uuid not null, "document_id" uuid not null, "priority" smallint not null, "due_date" date null, "arrived_at" timestamptz null, "registered_at" timestamptz null, "refused_at" timestamptz null, "completed_at" timestamptz null, "withdrawn_at" timestamptz null, "registration_due" timestamptz null, "registration_warn_at" timestamptz null, "processing_due" timestamptz null, "processing_warn_at" timestamptz null, "computed_at" timestamptz null, constraint "delivery_deadline_pkey" primary key ("delivery_id"));`);
    this.addSql(`alter table "delivery_deadline" add constraint "delivery_deadline_delivery_id_foreign" foreign key ("delivery_id") references "delivery" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "delivery_deadline" add constraint "delivery_deadline_document_id_foreign" foreign key ("document_id") references "outgoing_document" ("id") on update cascade on delete cascade;`);

    // An item's priority and hạn xử lý as its verified header has them (edXML: yyyy/MM/dd); none when unreadable.
    this.addSql(`create or replace function lt_item_priority(metadata jsonb) returns smallint language sql immutable parallel safe as $$
      select case when (metadata #>> '{messageHeader,otherInfo,priority}') ~ '^[0-9]$' then (metadata #>> '{messageHeader,otherInfo,priority}')::smallint else 0::smallint end
    $$;`);
    this.addSql(`create or replace function lt_item_due_date(metadata jsonb) returns date language plpgsql immutable parallel safe as $$
    begin
      if (metadata #>> '{messageHeader,dueDate}') !~ '^[0-9]{4}/[0-9]{2}/[0-9]{2}$' then return null; end if;
      return to_date(metadata #>> '{messageHeader,dueDate}', 'YYYY/MM/DD');
    exception when others then
      return null;
    end $$;`);

    // What came before this migration, from the statuses on record (else from the current state).
    const first = (owner: string, id: string, codes: string) => `(select min(s.created_at) from status_record s where s.${owner} = ${id} and s.code in (${codes}))`;
    const REGISTERED = `'03', '04', '05', '06'`;
    this.addSql(`insert into "inbox_item_deadline" (item_id, agency_code, arrived_at, priority, due_date, registered_at, refused_at, completed_at, withdrawn_at)
      select i.id, i.agency_code, i.received_at, lt_item_priority(i.metadata), lt_item_due_date(i.metadata),
             coalesce(${first('inbox_item_id', 'i.id', REGISTERED)}, case when i.status_code in (${REGISTERED}) then i.status_at end),
             coalesce(${first('inbox_item_id', 'i.id', `'02'`)}, case when i.status_code = '02' then i.status_at end),
             coalesce(${first('inbox_item_id', 'i.id', `'06'`)}, case when i.status_code = '06' then i.status_at end),
             i.withdrawn_at
        from inbox_item i;`);
    this.addSql(`insert into "delivery_deadline" (delivery_id, document_id, priority, due_date, arrived_at, registered_at, refused_at, completed_at, withdrawn_at)
      select d.id, d.document_id, o.priority, o.due_date,
             coalesce(${first('delivery_id', 'd.id', `'01', '02', ${REGISTERED}`)}, case when d.status_code in ('01', '02', ${REGISTERED}) then d.status_at end),
             coalesce(${first('delivery_id', 'd.id', REGISTERED)}, case when d.status_code in (${REGISTERED}) then d.status_at end),
             coalesce(${first('delivery_id', 'd.id', `'02'`)}, case when d.status_code = '02' then d.status_at end),
             coalesce(${first('delivery_id', 'd.id', `'06'`)}, case when d.status_code = '06' then d.status_at end),
             coalesce(${first('delivery_id', 'd.id', `'15'`)}, case when d.status_code = '15' then d.status_at end)
        from delivery d join outgoing_document o on o.id = d.document_id;`);

    this.addSql(`create index "inbox_item_deadline_registration_open_index" on "inbox_item_deadline" ("agency_code", "registration_due") where "registered_at" is null and "refused_at" is null and "withdrawn_at" is null;`);
    this.addSql(`create index "inbox_item_deadline_processing_open_index" on "inbox_item_deadline" ("agency_code", "processing_due") where "processing_due" is not null and "completed_at" is null and "refused_at" is null and "withdrawn_at" is null;`);
    this.addSql(`create index "inbox_item_deadline_pending_index" on "inbox_item_deadline" ("item_id") where "computed_at" is null;`);
    this.addSql(`create index "delivery_deadline_document_id_index" on "delivery_deadline" ("document_id");`);
    this.addSql(`create index "delivery_deadline_registration_open_index" on "delivery_deadline" ("registration_due") where "registered_at" is null and "refused_at" is null and "withdrawn_at" is null;`);
    this.addSql(`create index "delivery_deadline_processing_open_index" on "delivery_deadline" ("processing_due") where "processing_due" is not null and "completed_at" is null and "refused_at" is null and "withdrawn_at" is null;`);
    this.addSql(`create index "delivery_deadline_pending_index" on "delivery_deadline" ("delivery_id") where "computed_at" is null;`);

    this.addSql(`create or replace function inbox_item_deadline_marks() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into inbox_item_deadline (item_id, agency_code, arrived_at, priority, due_date, registered_at, refused_at, completed_at, withdrawn_at)
        values (new.id, new.agency_code, new.received_at, lt_item_priority(new.metadata), lt_item_due_date(new.metadata),
                case when new.status_code in (${REGISTERED}) then new.status_at end,
                case when new.status_code = '02' then new.status_at end,
                case when new.status_code = '06' then new.status_at end,
                new.withdrawn_at)
        on conflict (item_id) do nothing;
        return null;
      end if;
      update inbox_item_deadline d set
        agency_code = new.agency_code,
        arrived_at = new.received_at,
        priority = lt_item_priority(new.metadata),
        due_date = lt_item_due_date(new.metadata),
        registered_at = case when d.registered_at is null and d.refused_at is null and new.status_code in (${REGISTERED}) then new.status_at else d.registered_at end,
        refused_at = case when d.refused_at is null and d.registered_at is null and new.status_code = '02' then new.status_at else d.refused_at end,
        completed_at = case when d.completed_at is null and new.status_code = '06' then new.status_at else d.completed_at end,
        withdrawn_at = new.withdrawn_at,
        computed_at = case when new.received_at is distinct from d.arrived_at
                             or lt_item_priority(new.metadata) is distinct from d.priority
                             or lt_item_due_date(new.metadata) is distinct from d.due_date
                           then null else d.computed_at end
      where d.item_id = new.id;
      return null;
    end $$;`);
    this.addSql(`create trigger inbox_item_deadline_marks after insert or update of status_code, status_at, metadata, received_at, withdrawn_at, agency_code on "inbox_item" for each row execute function inbox_item_deadline_marks();`);

    this.addSql(`create or replace function delivery_deadline_marks() returns trigger language plpgsql as $$
    declare
      from_recipient boolean := new.status_code in ('01', '02', ${REGISTERED});
    begin
      if tg_op = 'INSERT' then
        insert into delivery_deadline (delivery_id, document_id, priority, due_date, arrived_at, registered_at, refused_at, completed_at, withdrawn_at)
        select new.id, new.document_id, o.priority, o.due_date,
                case when from_recipient then new.status_at end,
                case when new.status_code in (${REGISTERED}) then new.status_at end,
                case when new.status_code = '02' then new.status_at end,
                case when new.status_code = '06' then new.status_at end,
                case when new.status_code = '15' then new.status_at end
          from outgoing_document o where o.id = new.document_id
        on conflict (delivery_id) do nothing;
        return null;
      end if;
      update delivery_deadline d set
        arrived_at = case when d.arrived_at is null and from_recipient then new.status_at else d.arrived_at end,
        registered_at = case when d.registered_at is null and d.refused_at is null and new.status_code in (${REGISTERED}) then new.status_at else d.registered_at end,
        refused_at = case when d.refused_at is null and d.registered_at is null and new.status_code = '02' then new.status_at else d.refused_at end,
        completed_at = case when d.completed_at is null and new.status_code = '06' then new.status_at else d.completed_at end,
        withdrawn_at = case when d.withdrawn_at is null and new.status_code = '15' then new.status_at else d.withdrawn_at end,
        -- Arrived: its deadlines start now.
        computed_at = case when d.arrived_at is null and from_recipient then null else d.computed_at end
      where d.delivery_id = new.id;
      return null;
    end $$;`);
    this.addSql(`create trigger delivery_deadline_marks after insert or update of status_code, status_at on "delivery" for each row execute function delivery_deadline_marks();`);

    // An update of a sent document may change its due date or priority (documents/update).
    this.addSql(`create or replace function outgoing_document_deadlines() returns trigger language plpgsql as $$
    begin
      update delivery_deadline set priority = new.priority, due_date = new.due_date, computed_at = null where document_id = new.id;
      return null;
    end $$;`);
    this.addSql(`create trigger outgoing_document_deadlines after update of priority, due_date on "outgoing_document" for each row
      when (old.priority is distinct from new.priority or old.due_date is distinct from new.due_date) execute function outgoing_document_deadlines();`);

    this.addSql(`create or replace function calendar_year_deadlines() returns trigger language plpgsql as $$
    declare since timestamptz := make_timestamptz(new.year, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh');
    begin
      update inbox_item_deadline set computed_at = null where computed_at is not null and (registration_due >= since or processing_due >= since);
      update delivery_deadline set computed_at = null where computed_at is not null and (registration_due >= since or processing_due >= since);
      return null;
    end $$;`);
    this.addSql(`create trigger calendar_year_deadlines after insert or update on "calendar_year" for each row execute function calendar_year_deadlines();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists calendar_year_deadlines on "calendar_year";`);
    this.addSql(`drop trigger if exists outgoing_document_deadlines on "outgoing_document";`);
    this.addSql(`drop trigger if exists delivery_deadline_marks on "delivery";`);
    this.addSql(`drop trigger if exists inbox_item_deadline_marks on "inbox_item";`);
    this.addSql(`drop function if exists calendar_year_deadlines();`);
    this.addSql(`drop function if exists outgoing_document_deadlines();`);
    this.addSql(`drop function if exists delivery_deadline_marks();`);
    this.addSql(`drop function if exists inbox_item_deadline_marks();`);
    this.addSql(`drop function if exists lt_item_due_date(jsonb);`);
    this.addSql(`drop function if exists lt_item_priority(jsonb);`);
    this.addSql(`drop table if exists "delivery_deadline" cascade;`);
    this.addSql(`drop table if exists "inbox_item_deadline" cascade;`);
  }

}

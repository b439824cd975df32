import { ReferenceKind, type EntityMetadata, type EntityProperty, type EntitySchema, type RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOn } from './sql.js';

/**
 * Entity rows read and written with plain SQL and bound parameters (issue 16): what `em.find` and
 * `em.insertMany` do on the workflow's hot path, without the unit of work, the identity map, the
 * query builder or knex's formatting of values into the text. The rows are plain objects shaped
 * like the entity (its properties, converted as the ORM converts them): not managed — a change to
 * one is written by the repository that owns it, never at flush.
 */

/**
 * One multi-row INSERT of entity rows with bound parameters, on `em`'s connection (its transaction
 * when it is one): what `em.insertMany` writes, without its cost (issue 16). MikroORM builds the
 * statement through its query builder and knex and writes every value into the SQL text — a signed
 * 01 package's bytes as a hex literal, each inbox item's metadata JSON escaped character by character;
 * replacing it on a delivery's batch rows took the `throughput` bench from 5.7–6.3 to 4.9–5.0 ms of
 * Node CPU per delivery. The table's columns are worked out once per entity; the values travel as
 * parameters (at most 65,535 a statement: a larger batch takes several).
 *
 * The rows are the entity's properties, as for `insertMany`: each is written to its column as the
 * ORM would convert it (its custom type: JSON, arrays); a property that every row leaves undefined
 * is left out (the column's default), one that only some rows leave undefined is null in those;
 * nothing is returned. Only scalar properties and many-to-one keys mapped to their primary key are
 * written (what this service's entities have).
 */
export async function insertRows<T extends object>(em: EntityManager, schema: EntitySchema<T>, rows: ReadonlyArray<RequiredEntityData<T>>): Promise<void> {
  if (rows.length === 0) return;
  const table = tableOf(em, schema);
  const present = table.columns.filter((c) => rows.some((r) => (r as Record<string, unknown>)[c.property] !== undefined));
  const sql = sqlOn(em);
  const one = `(${present.map(() => '?').join(', ')})`;
  const head = `insert into "${table.name}" (${present.map((c) => `"${c.field}"`).join(', ')}) values `;
  // PostgreSQL takes at most 65,535 parameters in one statement.
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, present.length)));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    for (const row of chunk) {
      for (const column of present) {
        const value = (row as Record<string, unknown>)[column.property];
        params.push(value === undefined || value === null ? null : column.toDatabase(value));
      }
    }
    await sql(head + Array.from({ length: chunk.length }, () => one).join(', '), params);
  }
}

const MAX_PARAMETERS = 65_535;

/**
 * The rows of `schema`'s table that match `where` (SQL written in the repository — never input —
 * on the table's columns, with `?` placeholders for the values in `params`),
 * as plain objects with the entity's properties, mapped as the ORM maps a result (column names to
 * properties, instants to Date); lazy columns (a package's bytes) are not read.
 */
export async function selectRows<T extends object>(em: EntityManager, schema: EntitySchema<T>, where: string, params: readonly unknown[] = []): Promise<T[]> {
  const table = tableOf(em, schema);
  const rows = await sqlOn(em)<Array<Record<string, unknown>>>(`select ${table.selected} from "${table.name}" where ${where}`, params);
  const comparator = em.getComparator();
  return rows.map((row) => comparator.mapResult(table.className, row) as T);
}

interface Column {
  property: string;
  field: string;
  toDatabase(value: unknown): unknown;
}

interface Table {
  className: string;
  name: string;
  columns: Column[];
  /** The column list of a SELECT: every column but the lazy ones. */
  selected: string;
}

const tables = new WeakMap<EntityMetadata, Table>();

function tableOf<T extends object>(em: EntityManager, schema: EntitySchema<T>): Table {
  const meta = em.getMetadata().get(schema.meta.className) as EntityMetadata;
  let table = tables.get(meta);
  if (table) return table;
  const platform = em.getPlatform();
  const columns = Object.values(meta.properties as Record<string, EntityProperty>)
    .filter((p) => p.persist !== false && !p.formula && (p.kind === ReferenceKind.SCALAR || (p.kind === ReferenceKind.MANY_TO_ONE && p.mapToPk)))
    .map((p): Column => {
      if (p.fieldNames.length !== 1) throw new Error(`insertRows: ${meta.className}.${p.name} spans ${p.fieldNames.length} columns`);
      const type = p.customType;
      return {
        property: p.name,
        field: p.fieldNames[0]!,
        toDatabase: type ? (value) => type.convertToDatabaseValue(value, platform, { mode: 'query' }) : (value) => value,
      };
    });
  const selected = Object.values(meta.properties as Record<string, EntityProperty>)
    .filter((p) => p.persist !== false && !p.formula && !p.lazy && p.fieldNames?.length)
    .flatMap((p) => p.fieldNames.map((f) => `"${f}"`))
    .join(', ');
  table = { className: meta.className, name: meta.tableName, columns, selected };
  tables.set(meta, table);
  return table;
}

import type { Delivery } from './document.entity.js';

/**
 * The deliveries of a document by destination — this node ('local'), or each partner
 * (`partner:<id>`) — this node first, then partners by id. Each destination gets its own package
 * naming exactly the recipients reached there: a peer refuses a package that names agencies it
 * does not host.
 */
export function byDestination<D extends Pick<Delivery, 'partnerId'>>(deliveries: readonly D[]): Array<[string, D[]]> {
  const groups = new Map<string, D[]>();
  for (const d of deliveries) {
    const key = d.partnerId ? `partner:${d.partnerId}` : 'local';
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === 'local' ? -1 : b === 'local' ? 1 : a < b ? -1 : 1));
}

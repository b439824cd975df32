/**
 * The place (địa danh) written on an agency's documents: NĐ 30/2020 Phụ lục I II.4.a — the official
 * name of the administrative unit where the agency sits, "Kiên Lương" for UBND huyện Kiên Lương, not
 * the agency's name. The directory's `administrativeUnit` says it; when it is empty, a people's
 * committee's name gives it (UBND / Ủy ban nhân dân, the unit's level, the unit; a unit named by a
 * number keeps its level, "Quận 1"); any other agency's
 * name is written as it is (a department's unit cannot be read from its name: set it in Quản trị).
 */

/** The levels of administrative unit, longest first so that "thị xã" is not read as "xã". */
const LEVELS = ['thành phố', 'thị trấn', 'đặc khu', 'thị xã', 'phường', 'huyện', 'quận', 'tỉnh', 'xã'];
const COMMITTEE_RE = new RegExp(`^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\\s+(${LEVELS.join('|')})\\s+(\\S.*)$`, 'iu');

/** The place of promulgation of `agency`'s documents when the clerk names none. */
export function promulgationPlace(agency: { readonly name: string; readonly administrativeUnit?: string | null }): string {
  const known = agency.administrativeUnit?.trim();
  if (known) return known;
  const name = agency.name.normalize('NFC').trim();
  const m = COMMITTEE_RE.exec(name);
  if (!m) return name;
  const [, level, unit] = m as unknown as [string, string, string];
  // A unit named by a number is written whole (Phụ lục I: "Quận 1", "Phường 5").
  return /^\d/.test(unit) ? `${level.charAt(0).toUpperCase()}${level.slice(1).toLowerCase()} ${unit.trim()}` : unit.trim();
}

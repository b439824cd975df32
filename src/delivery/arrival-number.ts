/**
 * The số đến a recipient gave, carried back to the sender inside its signed 03 (UI.md: the sender
 * sees "the incoming number the recipient gave once it is known"). QCVN 102's status has no field
 * for it, so it travels in the Description, in one fixed wording both sides read.
 */

const MARK = 'Số đến:';
const READ = /Số đến:\s*(\d{1,9})\b/u;

/** The Description of a 03: what the clerk wrote (or the code's meaning), then the number. */
export function withArrivalNumber(description: string, number: number): string {
  const said = description.replace(/Số đến:\s*\d{1,9}\b\.?/gu, '').trim().replace(/[\s.;,]+$/u, '');
  return said ? `${said}. ${MARK} ${number}` : `${MARK} ${number}`;
}

/** The số đến in a status Description, or null. */
export function arrivalNumberIn(description: string | null | undefined): number | null {
  const m = description ? READ.exec(description.normalize('NFC')) : null;
  return m ? Number(m[1]) : null;
}

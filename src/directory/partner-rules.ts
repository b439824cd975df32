import { DomainError, type FieldError } from '../errors.js';
import type { PartnerKind } from './partner.entity.js';

/** The credentials an axis partner needs, with what each is (English, Vietnamese). */
const AXIS_CREDENTIALS = [
  ['systemId', 'the system id the axis knows this node by', 'mã hệ thống mà trục dùng để nhận biết nút này'],
  ['secret', 'the secret every request to the axis is signed with', 'khóa bí mật dùng để ký mọi yêu cầu gửi lên trục'],
] as const;

/**
 * What a partner of each kind needs before we can talk to it, checked when it is registered and when
 * its credentials change: a partner accepted without them fails at every delivery and every poll,
 * where only the log says why (issue 15).
 *
 * - axis: `credentials.systemId` and `credentials.secret` (the axis signs every request with them:
 *   `AxisCredentials` in src/exchange/axis-client.ts): every call to the axis is signed with them.
 * - push (any kind): a `baseUrl` — see partnerMode in directory.service.ts.
 * - a lienthong peer needs nothing more at registration: the token it issues to us comes later
 *   (PATCH `credentials.token`), once it has registered us in turn.
 */
export function checkPartnerCredentials(kind: PartnerKind, credentials: Record<string, unknown> | null | undefined, at = 'credentials'): void {
  if (kind !== 'axis') return;
  const errors: FieldError[] = [];
  for (const [key, en, vi] of AXIS_CREDENTIALS) {
    const value = credentials?.[key];
    if (typeof value !== 'string' || value.trim() === '') {
      errors.push({ path: `${at}.${key}`, message: `required for an axis partner (${en})`, vi: `bắt buộc với đối tác là trục liên thông (${vi})` });
    }
  }
  if (errors.length) {
    const fields = errors.map((e) => e.path);
    throw new DomainError(
      'VALIDATION_FAILED',
      `An axis partner needs its credentials: ${fields.join(' and ')} ${errors.length > 1 ? 'are' : 'is'} missing. ` +
        'Give them as "credentials": { "systemId": "…", "secret": "…" }, as the operator of the axis issued them.',
      {
        errors,
        vi:
          `Đối tác là trục liên thông cần thông tin xác thực: thiếu ${fields.join(' và ')}. ` +
          'Nhập "credentials": { "systemId": "…", "secret": "…" } do đơn vị vận hành trục cấp.',
      },
    );
  }
}

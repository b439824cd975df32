import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requirePrincipal } from '../http/auth.js';
import type { AppEnv } from '../http/context.js';
import { BEARER, COMMON_ERRORS, jsonBody, NOT_FOUND } from '../http/openapi.js';
import { changePassword } from './accounts.service.js';

const PasswordChange = z
  .object({
    password: z.string().min(10).max(200).openapi({ description: 'The new password: at least 10 characters' }),
    currentPassword: z.string().max(200).optional().openapi({ description: "Needed when users change their own password (not an administrator's reset)" }),
  })
  .strict()
  .openapi('PasswordChange');

/** The API of console accounts (UI.md "Entry and session"). */
export function registerAccountRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/users/{id}/password',
      tags: ['Directory'],
      security: BEARER,
      summary: "Set a user's console password (an administrator, or the user itself with currentPassword)",
      description: "The user's other console sessions end.",
      request: { params: z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' } }) }), body: jsonBody(PasswordChange) },
      responses: { 204: { description: 'Changed' }, ...COMMON_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const principal = requirePrincipal(c.get('principal'));
      await changePassword(c.get('em'), principal, c.req.valid('param').id, c.req.valid('json'), { requestId: c.get('requestId') });
      return c.body(null, 204);
    },
  );
}

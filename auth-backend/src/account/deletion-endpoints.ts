import { endpoint, type AnyEndpoint } from '../http/endpoint';
import { requestMeta } from '../http/request-meta';
import { z } from '../http/zod';
import type { AccountDeletion } from './account-deletion';

export const DeleteAccountBody = z
  .strictObject({
    currentPassword: z.string().min(1, 'is required').max(1024, 'is too long').optional(),
    code: z
      .string()
      .min(1, 'is required')
      .max(64, 'is too long')
      .optional()
      .openapi({ description: 'A second-factor code, for an account without a password' }),
  })
  .openapi('DeleteAccountRequest');

export function deletionEndpoints(deletion: AccountDeletion): AnyEndpoint[] {
  return [
    endpoint({
      method: 'delete',
      path: '/auth/me',
      operationId: 'deleteMe',
      summary: 'Erase the caller’s account',
      description:
        'The user row, its sessions, tokens, identities, factors and unsent mail, in one transaction; audit events keep the user id and lose the address. ' +
        'A wrong password answers 401 and changes nothing; an account with nothing to confirm with answers 403 reauthentication_required.',
      tag: 'auth',
      bearer: true,
      body: DeleteAccountBody,
      success: { status: 204, description: 'The account is erased' },
      failures: [400, 401, 403],
      handle: async ({ auth, body, req, log }) => deletion.eraseSelf(auth, body, log, requestMeta(req)),
    }),
  ];
}

/** The Audit log section: GET /admin/audit's query schema, page size and cursors, through AdminService.listAudit. */
import type { Router } from 'express';
import { AppError } from '../errors';
import type { AdminService } from '../admin/admin-service';
import { AuditQuery } from '../admin/admin-schemas';
import { AUDIT_EVENT_TYPES } from '../domain/audit';
import { parseInput } from '../http/validate';
import { problemText, type ConsoleAccess } from './console-access';
import { AuditPage } from './pages/audit-page';

const PAGE_SIZE = 50;

export function auditRoutes({ access, admin }: { access: ConsoleAccess; admin: AdminService }) {
  return (router: Router) => {
    router.get(
      '/console/audit',
      access.page(async (c) => {
        // An empty filter field means no filter.
        const raw = Object.fromEntries(
          ['userId', 'type', 'limit', 'cursor'].flatMap((name) => {
            const value = c.req.query[name];
            return typeof value === 'string' && value !== '' ? [[name, value.trim()]] : [];
          }),
        );
        const filter = { userId: raw.userId ?? '', type: raw.type ?? '' };
        try {
          const query = parseInput(AuditQuery, raw);
          const limit = query.limit ?? PAGE_SIZE;
          const page = await admin.listAudit({ userId: query.userId, type: query.type, limit, cursor: query.cursor });
          const next =
            page.nextCursor &&
            new URLSearchParams({
              ...(query.userId ? { userId: query.userId } : {}),
              ...(query.type ? { type: query.type } : {}),
              ...(query.limit ? { limit: String(limit) } : {}),
              cursor: page.nextCursor,
            });
          c.send(
            200,
            AuditPage({ chrome: c.chrome, types: AUDIT_EVENT_TYPES, filter, events: page.items, nextHref: next ? `/console/audit?${next}` : undefined }),
          );
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
          c.send(400, AuditPage({ chrome: c.chrome, types: AUDIT_EVENT_TYPES, filter, events: [], error: problemText(error) }));
        }
      }),
    );
  };
}

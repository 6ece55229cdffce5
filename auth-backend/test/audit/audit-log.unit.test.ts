import { AuditLog } from '../../src/audit/audit-log';
import { AuditEventsTable } from '../../src/tables/audit-events';
import { Statement } from '../../src/db/statement';
import type { Queryable } from '../../src/db/transaction';

const table = () => new AuditEventsTable({} as Queryable, () => new Date('2026-12-07T10:00:00Z'));

describe('AuditLog.writes', () => {
  it('writes an event with its change in one statement unless a subscriber wants its type', () => {
    const audit = new AuditLog(table());
    audit.subscribe(async () => undefined, ['user.deleted']);
    audit.reactToRows((source) => [{ name: `${source}_reaction`, body: `SELECT 1 FROM ${source}` }]);

    const login = audit.writes({ type: 'user.login', userId: null });
    expect(login).toBeDefined();
    expect(login!.fragment(new Statement()).map((cte) => cte.name)).toEqual(['audit_event_row', 'audit_event_row_reaction']);
    expect(audit.writes({ type: 'user.deleted', userId: null })).toBeUndefined();
  });

  it('needs a transaction for every event when a subscriber names no type', () => {
    const audit = new AuditLog(table());
    audit.subscribe(async () => undefined);
    expect(audit.writes({ type: 'user.login', userId: null })).toBeUndefined();
  });
});

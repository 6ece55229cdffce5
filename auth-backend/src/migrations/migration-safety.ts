/**
 * Which statements of a migration break the version of the service that is still running while it
 * is applied (a rolling update runs old and new replicas against the migrated schema): the rules of
 * docs/operations.md, "Two-release schema changes". Statements are read with PostgreSQL's own parser
 * (libpg-query, docs/decisions/0011-migration-safety.md), never with regular expressions.
 *
 * A statement that means it (the contract step of a two-release change) is preceded by, or contains,
 * a comment `-- contract: <why>`, and passes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'libpg-query';

export interface Finding {
  /** Path of the migration file as given. */
  file: string;
  /** 1-based line where the statement starts. */
  line: number;
  /** The statement, on one line, shortened. */
  statement: string;
  problem: string;
  /** How to do it in two releases. */
  advice: string;
}

const CONTRACT_COMMENT = /--\s*contract:\s*\S/i;

type Node = Record<string, unknown>;
type RawStmt = { stmt?: Node; stmt_location?: number; stmt_len?: number };

const ADVICE = {
  drop: 'Two releases: first ship code that no longer reads or writes it (and deploy it everywhere), then drop it in a later migration marked `-- contract: <why>`.',
  rename:
    'Two releases: add the new name (a new column or table, filled by a backfill and by the new code writing both), switch reads to it; drop the old one in a later release (`-- contract: <why>`). See "Two-release schema changes" in docs/operations.md.',
  type: 'Two releases: add a column of the new type, write both and backfill, switch reads to it, then drop the old column later (`-- contract: <why>`).',
  notNull:
    'Two releases: add the column with a DEFAULT (or nullable) and ship code that always writes it; backfill, then SET NOT NULL in a later release (`-- contract: <why>`), ideally after a CHECK (... IS NOT NULL) NOT VALID constraint is validated.',
  unique:
    'Build the index without locking writes: `CREATE UNIQUE INDEX CONCURRENTLY ...` alone in its own migration (it cannot run inside a transaction, and a migration of several statements runs as one); then, if a constraint is needed, `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...`.',
};

/** The findings of one migration's SQL; a parse error is thrown with the file's name. */
export async function checkMigrationSql(file: string, sql: string): Promise<Finding[]> {
  let statements: RawStmt[];
  try {
    statements = ((await parse(sql)) as { stmts?: RawStmt[] }).stmts ?? [];
  } catch (error) {
    throw new Error(`${file}: not valid PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Offsets are in bytes of the UTF-8 text.
  const bytes = Buffer.from(sql, 'utf8');
  const created = new Set<string>();
  const findings: Finding[] = [];
  let previousEnd = 0;
  for (const raw of statements) {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const text = bytes.subarray(start, end).toString('utf8');
    const surrounding = bytes.subarray(previousEnd, end).toString('utf8');
    previousEnd = end;
    const stmt = raw.stmt ?? {};
    const problems = problemsOf(stmt, created);
    if (problems.length === 0 || CONTRACT_COMMENT.test(surrounding)) continue;
    const leading = text.length - text.replace(/^(\s|--[^\n]*\n)*/, '').length;
    const line = lineAt(bytes.subarray(0, start).toString('utf8') + text.slice(0, leading));
    const statement = `${oneLine(text.slice(leading))};`;
    for (const { problem, advice } of problems) findings.push({ file, line, statement, problem, advice });
  }
  return findings;
}

/** One multi-line report per finding: file:line, the statement, the problem, the advice. */
export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}: ${finding.problem}\n    ${finding.statement}\n    ${finding.advice}`;
}

function problemsOf(stmt: Node, created: Set<string>): Array<{ problem: string; advice: string }> {
  const [kind, body] = Object.entries(stmt)[0] ?? [];
  const node = (body ?? {}) as Node;
  switch (kind) {
    case 'CreateStmt':
      created.add(relationName(node.relation));
      return [];
    case 'DropStmt':
      if (node.removeType === 'OBJECT_TABLE')
        return [{ problem: `drops table(s) ${dropNames(node)}: the running version still uses them`, advice: ADVICE.drop }];
      return [];
    case 'RenameStmt':
      if (node.renameType === 'OBJECT_TABLE')
        return [
          {
            problem: `renames table ${relationName(node.relation)} to ${String(node.newname)}: the running version still uses the old name`,
            advice: ADVICE.rename,
          },
        ];
      if (node.renameType === 'OBJECT_COLUMN')
        return [
          {
            problem: `renames column ${relationName(node.relation)}.${String(node.subname)} to ${String(node.newname)}: the running version still uses the old name`,
            advice: ADVICE.rename,
          },
        ];
      return [];
    case 'AlterTableStmt':
      return alterTableProblems(node, created);
    case 'IndexStmt': {
      const table = relationName(node.relation);
      if (node.unique && !node.concurrent && !created.has(table))
        return [
          {
            problem: `builds a unique index on the existing table ${table} without CONCURRENTLY: writes to it are blocked while it builds`,
            advice: ADVICE.unique,
          },
        ];
      return [];
    }
    default:
      return [];
  }
}

function alterTableProblems(node: Node, created: Set<string>): Array<{ problem: string; advice: string }> {
  const table = relationName(node.relation);
  if (node.objtype !== undefined && node.objtype !== 'OBJECT_TABLE') return [];
  const isNew = created.has(table);
  const problems: Array<{ problem: string; advice: string }> = [];
  for (const wrapped of (node.cmds as Node[] | undefined) ?? []) {
    const cmd = (wrapped.AlterTableCmd ?? {}) as Node;
    const column = `${table}.${String(cmd.name)}`;
    switch (cmd.subtype) {
      case 'AT_DropColumn':
        problems.push({ problem: `drops column ${column}: the running version still reads or writes it`, advice: ADVICE.drop });
        break;
      case 'AT_AlterColumnType':
        if (!isNew)
          problems.push({ problem: `changes the type of column ${column}: the running version may write values the new type refuses`, advice: ADVICE.type });
        break;
      case 'AT_SetNotNull':
        if (!isNew) problems.push({ problem: `sets column ${column} NOT NULL: the running version may insert rows without it`, advice: ADVICE.notNull });
        break;
      case 'AT_AddColumn': {
        const def = ((cmd.def as Node | undefined)?.ColumnDef ?? {}) as Node;
        const constraints = ((def.constraints as Node[] | undefined) ?? []).map((c) => ((c.Constraint ?? {}) as Node).contype);
        const notNull = constraints.includes('CONSTR_NOTNULL') || constraints.includes('CONSTR_PRIMARY');
        const filled = constraints.includes('CONSTR_DEFAULT') || constraints.includes('CONSTR_IDENTITY') || constraints.includes('CONSTR_GENERATED');
        if (!isNew && notNull && !filled)
          problems.push({
            problem: `adds column ${table}.${String(def.colname)} NOT NULL without a default: the running version inserts rows without it`,
            advice: ADVICE.notNull,
          });
        break;
      }
      case 'AT_AddConstraint': {
        const constraint = ((cmd.def as Node | undefined)?.Constraint ?? {}) as Node;
        const buildsIndex = (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') && !constraint.indexname;
        if (!isNew && buildsIndex)
          problems.push({ problem: `adds a unique constraint to the existing table ${table}, building its index without CONCURRENTLY`, advice: ADVICE.unique });
        break;
      }
      default:
        break;
    }
  }
  return problems;
}

function relationName(relation: unknown): string {
  const r = (relation ?? {}) as Node;
  return r.schemaname ? `${String(r.schemaname)}.${String(r.relname)}` : String(r.relname);
}

function dropNames(node: Node): string {
  return ((node.objects as Node[] | undefined) ?? [])
    .map((object) =>
      (((object.List as Node | undefined)?.items as Node[] | undefined) ?? []).map((item) => String((item.String as Node | undefined)?.sval)).join('.'),
    )
    .join(', ');
}

function lineAt(prefix: string): number {
  return prefix.split('\n').length;
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The findings of the named migration folders of `dir` (each folder's migration.sql), in order. */
export async function checkMigrationFolders(dir: string, names: string[], displayRoot = process.cwd()): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const name of names) {
    const file = path.join(dir, name, 'migration.sql');
    findings.push(...(await checkMigrationSql(path.relative(displayRoot, file) || file, fs.readFileSync(file, 'utf8'))));
  }
  return findings;
}

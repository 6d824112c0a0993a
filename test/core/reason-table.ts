// The core's reason codes, read from its transition table (TRANSITIONS in
// assembly/machine/core.ts: one row per event, naming the codes its handler
// can give). Read from the source, never copied here, so a code added to or
// removed from the table is seen by the coverage test at once. When the
// table moves to a generated single source, only this file changes.
import { readFileSync } from 'node:fs';

const TABLE_FILE = new URL('../../assembly/machine/core.ts', import.meta.url);

/** Event name (the row's name, e.g. 'MessageReceived') → the reason codes of its row. */
export type ReasonTable = Map<string, string[]>;

/**
 * Parses every `new Transition(EV_X, 'Name', handler, 'CODE CODE' + 'CODE')`
 * row. Throws when the table cannot be found or a row cannot be read, so a
 * changed layout fails the tests loudly instead of yielding an empty table.
 */
export function readReasonTable(source = readFileSync(TABLE_FILE, 'utf8')): ReasonTable {
  const table: ReasonTable = new Map();
  const start = source.indexOf('TRANSITIONS');
  if (start < 0) throw new Error(`no TRANSITIONS table in ${TABLE_FILE.pathname}`);
  const body = source.slice(start, source.indexOf('];', start));
  const rows = body.split('new Transition(').slice(1);
  for (const row of rows) {
    const m = row.match(/^\s*(EV_[A-Z_]+)\s*,\s*'([A-Za-z]+)'\s*,\s*[A-Za-z]+\s*,([\s\S]*)\)\s*,?\s*$/);
    if (!m) throw new Error(`cannot read transition row: ${row.trim().slice(0, 120)}`);
    const literals = [...m[3]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!).join(' ');
    // 'CODE CODE; per message (ACT_X): CODE CODE': the decision's codes, then
    // the codes an action reports per item (BqRead's bq-result); both are the row's.
    const [decision, ...parts] = literals.split(';');
    const perItem = parts.map((p) => p.match(/^\s*per message \(ACT_[A-Z_]+\):([\s\S]*)$/)?.[1] ?? `unreadable: ${p}`);
    const codes = [decision!, ...perItem].join(' ').split(/\s+/).filter((c) => c.length > 0);
    if (codes.length === 0 || codes.some((c) => !/^[A-Z][A-Z0-9_]+$/.test(c))) throw new Error(`row ${m[2]} has no readable reason codes: ${m[3]}`);
    table.set(m[2]!, codes);
  }
  if (table.size === 0) throw new Error(`TRANSITIONS in ${TABLE_FILE.pathname} has no rows`);
  return table;
}

/** Every code of the table, each once. */
export function allReasonCodes(table: ReasonTable = readReasonTable()): string[] {
  return [...new Set([...table.values()].flat())];
}

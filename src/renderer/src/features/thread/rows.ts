import type { MessageView } from '../../../../shared/contract';
import { localDay } from '../../format';

export type ThreadRow =
  | Readonly<{ kind: 'day'; key: string; at: number }>
  | Readonly<{ kind: 'message'; key: string }>;

export type BuiltRows = Readonly<{
  order: readonly string[];
  rows: ThreadRow[];
  lastDay: number;
  lineage: object | undefined;
  /** Rows added at the end since the previous build; null when the rows were built again. */
  appended: number | null;
}>;

/**
 * The loaded messages with a day separator wherever the local date changes. When the new order
 * only appends to the previous one (live messages), only the tail is built: a burst into a long
 * thread must not cost the whole thread per frame. With the thread's `lineage` (see ThreadState)
 * that is known without comparing the orders.
 */
export function buildRows(
  order: readonly string[],
  byKey: ReadonlyMap<string, MessageView>,
  previous?: BuiltRows,
  lineage?: object,
): BuiltRows {
  const isAppend =
    previous !== undefined &&
    order.length >= previous.order.length &&
    (lineage !== undefined ? previous.lineage === lineage : isPrefix(previous.order, order));
  if (previous && isAppend) {
    const rows = previous.rows.slice();
    const lastDay = appendRows(rows, order, previous.order.length, byKey, previous.lastDay);
    return { order, rows, lastDay, lineage, appended: rows.length - previous.rows.length };
  }
  const rows: ThreadRow[] = [];
  const lastDay = appendRows(rows, order, 0, byKey, -1);
  return { order, rows, lastDay, lineage, appended: null };
}

/** A reference compare per key: far cheaper than building the rows (dates) again. */
function isPrefix(prefix: readonly string[], order: readonly string[]): boolean {
  for (let index = 0; index < prefix.length; index++) if (order[index] !== prefix[index]) return false;
  return true;
}

function appendRows(
  rows: ThreadRow[],
  order: readonly string[],
  from: number,
  byKey: ReadonlyMap<string, MessageView>,
  startDay: number,
): number {
  let previousDay = startDay;
  for (let index = from; index < order.length; index++) {
    const key = order[index] as string;
    const message = byKey.get(key);
    if (!message) continue;
    const day = localDay(message.composedAt);
    if (day !== previousDay) {
      rows.push({ kind: 'day', key: `day:${key}`, at: message.composedAt });
      previousDay = day;
    }
    rows.push({ kind: 'message', key });
  }
  return previousDay;
}

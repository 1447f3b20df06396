import type { MessageView } from '../../../../shared/contract';
import { localDay } from '../../format';

export type ThreadRow =
  | Readonly<{ kind: 'day'; key: string; at: number }>
  | Readonly<{ kind: 'message'; key: string }>;

/** The loaded messages with a day separator wherever the local date changes. */
export function buildRows(order: readonly string[], byKey: ReadonlyMap<string, MessageView>): ThreadRow[] {
  const rows: ThreadRow[] = [];
  let previousDay = -1;
  for (const key of order) {
    const message = byKey.get(key);
    if (!message) continue;
    const day = localDay(message.composedAt);
    if (day !== previousDay) {
      rows.push({ kind: 'day', key: `day:${key}`, at: message.composedAt });
      previousDay = day;
    }
    rows.push({ kind: 'message', key });
  }
  return rows;
}

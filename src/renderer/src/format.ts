/** Display helpers shared by the features; all take `now` so tests can pin the clock. */

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const kb = bytes / 1024;
  return kb < 1024 ? `${kb < 10 ? kb.toFixed(1) : Math.round(kb)} KB` : `${(kb / 1024).toFixed(1)} MB`;
}

// Formatters are built once: toLocale*String builds a new Intl formatter on every call, which
// costs more than the rest of a message row when rows mount during a fast scroll.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const SHORT_DATE = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const LONG_DATE = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });

export function formatTime(at: number): string {
  return TIME.format(at);
}

export function formatDateTime(at: number): string {
  return DATE_TIME.format(at);
}

/** Local calendar day as an integer, for day separators (cheaper than comparing date strings). */
export function localDay(at: number): number {
  const date = new Date(at);
  return date.getFullYear() * 400 + date.getMonth() * 32 + date.getDate();
}

export function formatDay(at: number, now: number): string {
  const day = localDay(at);
  if (day === localDay(now)) return 'Today';
  if (day === localDay(now - 86_400_000)) return 'Yesterday';
  return LONG_DATE.format(at);
}

/** "12 s", "4 min", "3 h", "2 d": how long ago, or how long until. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** The list's time column: the time today, else the date. */
export function formatListTime(at: number, now: number): string {
  if (localDay(at) === localDay(now)) return formatTime(at);
  return SHORT_DATE.format(at);
}

export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

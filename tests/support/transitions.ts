import type { ConnectionState, ConnectionTransition, Unsubscribe } from '../../src/shared/contract';
import { LOADED_TIMEOUT_MS } from './timing';

/**
 * What a test waits for: by state and by the close code or refused upgrade's status that caused
 * it, never by the reason's wording (that is for people and may change).
 */
export type TransitionMatch = Readonly<{ from?: ConnectionState; to?: ConnectionState; closeCode?: number; httpStatus?: number }>;

/**
 * The transitions of one link, recorded as they happen (onDidTransition is synchronous), so a
 * test can await a transition instead of polling `state` for a transient one it might miss.
 */
export type TransitionLog = Readonly<{
  all: () => readonly ConnectionTransition[];
  /** The index the next transition will get: pass it as `after` to ignore what came before. */
  mark: () => number;
  /**
   * The first transition at index >= `after` (default 0) that matches; resolves in the same
   * tick as the transition, so the caller acts before anything else can happen to the link.
   */
  next: (match: TransitionMatch, options?: Readonly<{ after?: number; timeoutMs?: number }>) => Promise<ConnectionTransition>;
  dispose: () => void;
}>;

function matches(transition: ConnectionTransition, match: TransitionMatch): boolean {
  if (match.from !== undefined && transition.from !== match.from) return false;
  if (match.to !== undefined && transition.to !== match.to) return false;
  if (match.closeCode !== undefined && transition.closeCode !== match.closeCode) return false;
  return match.httpStatus === undefined || transition.httpStatus === match.httpStatus;
}

export function recordTransitions(link: Readonly<{ onDidTransition: (listener: (t: ConnectionTransition) => void) => Unsubscribe }>): TransitionLog {
  const seen: ConnectionTransition[] = [];
  const waiters = new Set<(transition: ConnectionTransition, index: number) => void>();
  const unsubscribe = link.onDidTransition((transition) => {
    seen.push(transition);
    for (const waiter of [...waiters]) waiter(transition, seen.length - 1);
  });
  const describe = (): string =>
    seen.map((t) => `${t.from}>${t.to} (${t.closeCode ?? t.httpStatus ?? '-'}: ${t.reason})`).join('; ') || 'none';
  return {
    all: () => seen,
    mark: () => seen.length,
    next: (match, options = {}) => {
      const after = options.after ?? 0;
      const found = seen.slice(after).find((t) => matches(t, match));
      if (found) return Promise.resolve(found);
      return new Promise<ConnectionTransition>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no transition ${JSON.stringify(match)} after #${after}; seen: ${describe()}`));
        }, options.timeoutMs ?? LOADED_TIMEOUT_MS);
        const waiter = (transition: ConnectionTransition, index: number): void => {
          if (index < after || !matches(transition, match)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(transition);
        };
        waiters.add(waiter);
      });
    },
    dispose: () => {
      unsubscribe();
      waiters.clear();
    },
  };
}

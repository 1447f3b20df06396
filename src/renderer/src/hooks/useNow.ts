import { useEffect, useState } from 'react';

/** The current time, refreshed every `intervalMs` while `isActive`; countdowns re-render from it. */
export function useNow(intervalMs: number, isActive = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!isActive) return undefined;
    const tick = (): void => setNow(Date.now());
    // Catch up at once when it becomes active: the last value may be long stale.
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [intervalMs, isActive]);
  return now;
}

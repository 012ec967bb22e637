import { useEffect, useState } from 'react';

/**
 * The time to show relative times against ("5 minutes ago"): read at every render, so a value
 * that just arrived is never newer than "now", and refreshed every `intervalMs` while nothing
 * else changes.
 */
export function useNow(intervalMs = 15_000): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return Date.now();
}

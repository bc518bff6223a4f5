/**
 * An alert when a plugin times out, at most one per plugin per interval.
 * The breaker alerts only when it opens; with `breakerFailures` set high a
 * plugin can time out (and get its host killed) on most calls without ever
 * opening it, and that must not go unsaid. The first timeout alerts at once;
 * those that follow within the interval are counted into the next alert.
 */
export interface TimeoutAlerts {
  timedOut(plugin: string, message: string): void;
}

export function createTimeoutAlerts(intervalMs: number, raise: (plugin: string, message: string) => void): TimeoutAlerts {
  const perPlugin = new Map<string, { lastAt: number; unreported: number }>();
  return {
    timedOut(plugin, message) {
      const now = Date.now();
      const state = perPlugin.get(plugin);
      if (state && now - state.lastAt < intervalMs) {
        state.unreported += 1;
        return;
      }
      const count = (state?.unreported ?? 0) + 1;
      const since = state ? ` ${count} timeouts since the last alert;` : "";
      perPlugin.set(plugin, { lastAt: now, unreported: 0 });
      raise(plugin, `Plugin "${plugin}" is timing out:${since} last: ${message} Its fallback answers for each; at most one such alert every ${intervalMs / 1000} s.`);
    },
  };
}

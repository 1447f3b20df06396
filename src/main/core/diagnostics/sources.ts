import { AppError } from '../../../shared/errors';
import type { OutboxItem } from '../../../shared/contract';

/** Returns text (written as `<name>.txt`) or data (written as redacted `<name>.json`). */
export type DiagnosticsSource = () => Promise<unknown>;

export interface DiagnosticsRegistry {
  /** Adds a file to every bundle; a later registration under the same name replaces it. */
  registerSource(name: string, source: DiagnosticsSource): () => void;
}

/** Parts support expects in every bundle; a bundle says so when one is missing. */
export const EXPECTED_SOURCES: Readonly<Record<string, string>> = {
  metrics: 'Metrics are unavailable: no metrics source is registered in this build.',
  'connection-history': 'The connection history is unavailable: no connection source is registered.',
  'outbox-summary': 'The outbox summary is unavailable: no outbox source is registered.',
};

const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;

export class SourceRegistry implements DiagnosticsRegistry {
  private readonly sources = new Map<string, DiagnosticsSource>();

  registerSource(name: string, source: DiagnosticsSource): () => void {
    if (!NAME.test(name)) throw new AppError('INVALID_REQUEST', `Bad diagnostics source name: ${name}`);
    this.sources.set(name, source);
    return () => {
      if (this.sources.get(name) === source) this.sources.delete(name);
    };
  }

  /** Registered sources plus a note for each expected part nobody registered. */
  entries(): Array<[string, DiagnosticsSource]> {
    const entries = [...this.sources.entries()];
    for (const [name, note] of Object.entries(EXPECTED_SOURCES)) {
      if (!this.sources.has(name)) entries.push([name, () => Promise.resolve(note)]);
    }
    return entries.sort(([a], [b]) => a.localeCompare(b));
  }
}

export type OutboxSummary = Readonly<{
  total: number;
  byState: Record<string, number>;
  oldestAgeMs: number | null;
  ages: Readonly<{ under1m: number; under1h: number; under1d: number; older: number }>;
  attempts: Readonly<{ total: number; max: number }>;
  errorCodes: Record<string, number>;
}>;

/** Counts, ages, attempts and error codes of the outbox: never a message's text or conversation name. */
export function summarizeOutbox(items: readonly OutboxItem[], now: number): OutboxSummary {
  const byState: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  const ages = { under1m: 0, under1h: 0, under1d: 0, older: 0 };
  let oldest: number | null = null;
  let attemptsTotal = 0;
  let attemptsMax = 0;
  for (const item of items) {
    byState[item.state] = (byState[item.state] ?? 0) + 1;
    const age = Math.max(0, now - item.composedAt);
    oldest = oldest === null ? age : Math.max(oldest, age);
    if (age < 60_000) ages.under1m += 1;
    else if (age < 3_600_000) ages.under1h += 1;
    else if (age < 86_400_000) ages.under1d += 1;
    else ages.older += 1;
    attemptsTotal += item.attempts;
    attemptsMax = Math.max(attemptsMax, item.attempts);
    const codes = new Set([item.lastError?.code, ...item.history.map((attempt) => attempt.error?.code)]);
    for (const code of codes) if (code) errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  }
  return {
    total: items.length,
    byState,
    oldestAgeMs: oldest,
    ages,
    attempts: { total: attemptsTotal, max: attemptsMax },
    errorCodes,
  };
}

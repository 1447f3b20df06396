import { AppError } from '../../../shared/errors';

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

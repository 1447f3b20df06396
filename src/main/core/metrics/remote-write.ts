/**
 * Fleet metrics over Prometheus remote-write 1.0: a small, aggregated selection of this
 * client's own metrics, labelled with a random install id, pushed as a snappy-compressed
 * protobuf WriteRequest (the wire format comes from the prometheus-remote-write library).
 * A bounded buffer keeps what could not be sent; when it is full the oldest push is dropped.
 */
import { pushTimeseries } from 'prometheus-remote-write';
import type { Registry } from 'prom-client';

/** The families that leave the computer; docs/monitoring.md ("Fleet metrics") lists them. */
export const FLEET_FAMILIES = [
  'ws_connection_state',
  'ws_reconnections_total',
  'ws_heartbeat_rtt_seconds',
  'message_queue_depth',
  'outbox_oldest_pending_age_seconds',
  'message_delivery_failures_total',
  'nova_desktop_info',
] as const;

export const FLEET_JOB = 'nova_desktop_fleet';

export type FleetSample = Readonly<{ labels: Readonly<Record<string, string>>; value: number }>;
export type FleetBatch = Readonly<{ at: number; samples: readonly FleetSample[] }>;

/** Label names sorted, as remote-write requires; `__name__` sorts first. */
function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Reads the fleet families from the registry (gauges computed at read time included) and
 * labels each series with the job and install id. Histograms become their `_bucket`, `_sum`
 * and `_count` series, as Prometheus stores them.
 */
export async function collectFleetBatch(registry: Registry, installId: string, at: number): Promise<FleetBatch> {
  const wanted = new Set<string>(FLEET_FAMILIES);
  const families = (await registry.getMetricsAsJSON()).filter((family) => wanted.has(family.name));
  const samples: FleetSample[] = [];
  for (const family of families) {
    for (const entry of family.values) {
      const name = (entry as { metricName?: string }).metricName ?? family.name;
      const labels: Record<string, string> = { __name__: name, job: FLEET_JOB, install: installId };
      for (const [key, value] of Object.entries(entry.labels)) labels[key] = String(value);
      if (Number.isFinite(entry.value)) samples.push({ labels: sortedLabels(labels), value: entry.value });
    }
  }
  return { at, samples };
}

export type PushResult = 'sent' | 'kept' | 'dropped' | 'busy' | 'empty';

export type RemoteWriteBufferOptions = Readonly<{
  url: string;
  headers?: Readonly<Record<string, string>>;
  userAgent: string;
  /** Pushes kept while the store is unreachable; the oldest goes first when full. */
  maxBatches: number;
  /** Buffered pushes sent in one request. */
  batchesPerRequest: number;
  timeoutMs: number;
}>;

/** A push the store refused for good (4xx other than 429): retrying would be refused again. */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 429 && status !== 408;
}

/**
 * Holds pushes until the store takes them. `flush` never waits on another flush (a slow store
 * makes the next tick return 'busy' instead of queueing requests), so nothing here can pile up
 * or hold anything else up.
 */
export class RemoteWriteBuffer {
  private batches: FleetBatch[] = [];
  private inFlight = false;
  dropped = 0;
  lastPushAt: number | null = null;
  lastError: string | null = null;

  constructor(private readonly options: RemoteWriteBufferOptions) {}

  get size(): number {
    return this.batches.length;
  }

  add(batch: FleetBatch): void {
    this.batches.push(batch);
    while (this.batches.length > this.options.maxBatches) {
      this.batches.shift();
      this.dropped += 1;
    }
  }

  clear(): void {
    this.batches = [];
  }

  /** Sends the buffer oldest first, one request per `batchesPerRequest`, until it is empty or a request fails. */
  async flush(now: () => number): Promise<PushResult> {
    if (this.inFlight) return 'busy';
    if (this.batches.length === 0) return 'empty';
    this.inFlight = true;
    try {
      let result: PushResult = 'empty';
      while (this.batches.length > 0) {
        const chunk = this.batches.slice(0, this.options.batchesPerRequest);
        const outcome = await this.send(chunk);
        if (outcome === 'kept') return 'kept';
        // Sent or refused for good: either way this chunk is done (unless cleared meanwhile).
        this.batches = this.batches.filter((batch) => !chunk.includes(batch));
        if (outcome === 'sent') this.lastPushAt = now();
        else this.dropped += chunk.length;
        result = outcome;
      }
      return result;
    } finally {
      this.inFlight = false;
    }
  }

  private async send(chunk: readonly FleetBatch[]): Promise<'sent' | 'kept' | 'dropped'> {
    // One time series per label set, its samples in time order, as the receiver requires.
    const series = new Map<string, { labels: Record<string, string>; samples: Array<{ value: number; timestamp: number }> }>();
    for (const batch of chunk) {
      for (const sample of batch.samples) {
        const key = JSON.stringify(sample.labels);
        const entry = series.get(key) ?? { labels: { ...sample.labels }, samples: [] };
        entry.samples.push({ value: sample.value, timestamp: batch.at });
        series.set(key, entry);
      }
    }
    const timeoutMs = this.options.timeoutMs;
    try {
      const result = await pushTimeseries(
        [...series.values()] as Parameters<typeof pushTimeseries>[0],
        {
          url: this.options.url,
          headers: {
            'Content-Encoding': 'snappy',
            'X-Prometheus-Remote-Write-Version': '0.1.0',
            'User-Agent': this.options.userAgent,
            ...this.options.headers,
          },
          fetch: async (url, init) => {
            const response = await fetch(url, {
              method: init?.method ?? 'POST',
              headers: init?.headers ?? {},
              // The library hands over the snappy-compressed protobuf as a Uint8Array.
              body: new Uint8Array(init?.body as unknown as Uint8Array),
              signal: AbortSignal.timeout(timeoutMs),
            });
            return { status: response.status, statusText: response.statusText, text: () => response.text() };
          },
        },
      );
      if (result.status >= 200 && result.status < 300) {
        this.lastError = null;
        return 'sent';
      }
      const said = (result.errorMessage ?? '').trim().slice(0, 200);
      this.lastError = `the metrics store answered ${result.status}${said ? `: ${said}` : ''}`;
      return isPermanent(result.status) ? 'dropped' : 'kept';
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      this.lastError =
        name === 'TimeoutError' || name === 'AbortError'
          ? `the metrics store did not answer within ${timeoutMs < 1_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1_000)} s`}`
          : `the metrics store could not be reached (${error instanceof Error ? ((error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message) : String(error)})`;
      return 'kept';
    }
  }
}

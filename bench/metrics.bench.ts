/**
 * Scrape cost with every family populated at realistic cardinality (every label value the
 * closed lists allow, plus default process metrics): many scrapes through the real endpoint
 * over a kept-alive connection, as Prometheus does, and in-process renders as the diagnostics
 * snapshot does. Target: p50 under 10 ms. Run: npx tsx bench/metrics.bench.ts
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  AUTH_EVENTS,
  CONNECTION_STATES,
  DIAGNOSTICS_RESULTS,
  DUPLICATE_SOURCES,
  ERROR_CODES,
  EVENT_CHANNELS,
  FRAME_TYPES,
  HTTP_ENDPOINTS,
  HTTP_RETRY_REASONS,
  INVOKE_CHANNELS,
  LOG_LEVELS,
  Metrics,
  MetricsServer,
  RECONNECT_REASONS,
  RESYNC_RESULTS,
  SEND_OUTCOMES,
  SOCKET_ERROR_TYPES,
  SOCKET_STATUSES,
  SYSTEM_EVENTS,
  TRANSPORTS,
} from '../src/main/core/metrics';
import { createMemoryLogger } from '../src/main/core/logging';
import { percentile, recordBenchResults, round } from './results';

const WARMUP = 50;
const SCRAPES = 1_000;

function populate(metrics: Metrics): void {
  const spread = (index: number): number => ((index * 7919) % 1000) / 100; // 0 … 10, deterministic
  for (const state of CONNECTION_STATES) metrics.connectionState(state);
  for (const status of SOCKET_STATUSES) metrics.socketEvent(status);
  RECONNECT_REASONS.forEach((reason, index) => metrics.reconnect(reason, 500 * 2 ** index));
  for (let index = 0; index < 1_000; index += 1) metrics.heartbeatRtt(spread(index) * 100);
  for (const type of SOCKET_ERROR_TYPES) metrics.socketError(type);
  for (const type of FRAME_TYPES) {
    metrics.frameSent(type);
    metrics.frameReceived(type);
  }
  for (const event of SYSTEM_EVENTS) metrics.systemEvent(event);
  for (const event of AUTH_EVENTS) metrics.authEvent(event);
  metrics.outboxDepth({ saved: 12, sending: 1, confirming: 2, failed: 3, expired: 1, held: 1 });
  metrics.outboxOldestWaiting(Date.now() - 120_000);
  for (let index = 0; index < 1_000; index += 1) metrics.messageEnqueued(10 ** (1 + (index % 6)));
  for (const transport of TRANSPORTS) {
    for (const outcome of SEND_OUTCOMES) metrics.sendAttempt(transport, outcome);
    for (let index = 0; index < 1_000; index += 1) metrics.sendAckLatency(spread(index), transport);
  }
  for (let index = 0; index < 100; index += 1) metrics.delivered();
  for (const code of ERROR_CODES) metrics.deliveryFailed(code, false);
  metrics.messageReceived();
  for (const source of DUPLICATE_SOURCES) metrics.duplicateDropped(source);
  for (const result of RESYNC_RESULTS) metrics.resync(result, 1.5);
  metrics.sequenceGap();
  for (const endpoint of HTTP_ENDPOINTS) {
    for (const status of [200, 401, 429, 503, 'network_error', 'timeout'] as const) metrics.httpRequest(endpoint, status, 0.2);
  }
  for (const reason of HTTP_RETRY_REASONS) metrics.httpRetry(reason);
  for (const channel of INVOKE_CHANNELS) {
    metrics.ipcCall(channel, 'ok', 0.001);
    metrics.ipcCall(channel, 'NOT_IMPLEMENTED', 0.0005);
    metrics.ipcCall(channel, 'INTERNAL', 0.002);
  }
  for (const level of LOG_LEVELS) metrics.logLine(level);
  for (const code of ERROR_CODES) metrics.notificationShown(code);
  for (const channel of EVENT_CHANNELS) metrics.coreEvent(channel);
  for (const result of DIAGNOSTICS_RESULTS) metrics.diagnosticsBundle(result);
  metrics.coreStarted();
  metrics.observeDatabaseSize(() => 4 * 1024 * 1024);
}

function scrape(port: number, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, headers: { Host: `127.0.0.1:${port}` } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => (response.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${response.statusCode}`))));
    });
    request.on('error', reject);
  });
}

async function main(): Promise<void> {
  const metrics = new Metrics({ appInfo: { name: 'Nova', version: '0.1.0', electron: '45.5.0', chrome: '142.0.0.0' } });
  populate(metrics);
  const server = new MetricsServer({ metrics, log: createMemoryLogger(), port: 0 });
  const port = await server.start();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  try {
    let bytes = 0;
    for (let index = 0; index < WARMUP; index += 1) bytes = await scrape(port, agent);
    const scrapeMs: number[] = [];
    for (let index = 0; index < SCRAPES; index += 1) {
      const started = performance.now();
      await scrape(port, agent);
      scrapeMs.push(performance.now() - started);
    }
    const renderMs: number[] = [];
    for (let index = 0; index < SCRAPES; index += 1) {
      const started = performance.now();
      await metrics.snapshot();
      renderMs.push(performance.now() - started);
    }
    const text = await metrics.snapshot();
    const figures = {
      metrics_scrape_p50_ms: round(percentile(scrapeMs, 50), 3),
      metrics_scrape_p99_ms: round(percentile(scrapeMs, 99), 3),
      metrics_render_p50_ms: round(percentile(renderMs, 50), 3),
      metrics_render_p99_ms: round(percentile(renderMs, 99), 3),
      metrics_scrapes_measured: SCRAPES,
      metrics_exposition_bytes: bytes,
      metrics_exposition_series: text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
      metrics_families: (text.match(/^# TYPE /gm) ?? []).length,
    };
    recordBenchResults(figures);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (figures.metrics_scrape_p50_ms >= 10) {
      process.stdout.write(`metrics_scrape_p50_ms ${figures.metrics_scrape_p50_ms} is over the 10 ms target\n`);
      process.exitCode = 1;
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
}

void main();

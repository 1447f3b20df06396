/**
 * The client's metric families: every name, help text, label set and bucket list, registered in
 * the core's own registry, with every enumerable series created at 0. `metrics.ts` moves them;
 * docs/monitoring.md lists each family and the code path that moves it.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AppInfo } from '../options';
import {
  AUTH_EVENTS,
  CONNECTION_STATES,
  DIAGNOSTICS_RESULTS,
  DUPLICATE_SOURCES,
  EVENT_CHANNELS,
  FRAME_REJECT_REASONS,
  HTTP_ENDPOINTS,
  HTTP_RETRY_REASONS,
  INVOKE_CHANNELS,
  LOG_LEVELS,
  OTHER,
  OUTBOX_STATES,
  RECONNECT_REASONS,
  RESYNC_RESULTS,
  SCRAPE_VIAS,
  SEND_OUTCOMES,
  SOCKET_ERROR_TYPES,
  SOCKET_STATUSES,
  SYSTEM_EVENTS,
  TRANSPORTS,
  UPDATE_CHECK_RESULTS,
  UPDATE_DOWNLOAD_RESULTS,
  UPDATE_RESTART_RESULTS,
} from './labels';

// Buckets: Nova's where the family is Nova's; otherwise sized for a desktop on a home network.
const HEARTBEAT_RTT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RECONNECT_DELAY_BUCKETS = [0.5, 1, 2, 4, 8, 16, 30, 60];
const SEND_ACK_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MESSAGE_SIZE_BUCKETS = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7];
const RESYNC_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const API_LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10];
const IPC_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** Version strings go into a label, so only something shaped like a version gets through. */
function versionLabel(value: string | null | undefined): string {
  if (!value) return 'none';
  return /^v?\d{1,6}(\.\d{1,6}){0,3}([-+][0-9A-Za-z.]{1,32})?$/.test(value) ? value : OTHER;
}

/** What the gauges computed at scrape time read from the metrics service. */
export type ReadAtScrape = Readonly<{
  secondsSince(sinceMs: number | null): number;
  oldestWaitingSince(): number | null;
  startedAt(): number | null;
  databaseSize(): number | null;
}>;

export function createFamilies(registry: Registry, appInfo: AppInfo | undefined, read: ReadAtScrape) {
  const registers = [registry];

  // ---- connection ----
  const connectionStateGauge = new Gauge({
    name: 'ws_connection_state',
    help: 'Connection state, one series per state: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
  });
  const connectionTransitions = new Counter({
    name: 'ws_connection_transitions_total',
    help: 'Connection state changes, by the state entered.',
    labelNames: ['to'],
    registers,
  });
  const socketConnections = new Counter({
    name: 'ws_connections_total',
    help: 'WebSocket lifecycle events (Nova name): opened, closed, error.',
    labelNames: ['status'],
    registers,
  });
  const reconnections = new Counter({
    name: 'ws_reconnections_total',
    help: 'Reconnect attempts scheduled, by reason (Nova name, client reasons added).',
    labelNames: ['reason'],
    registers,
  });
  const reconnectDelay = new Histogram({
    name: 'ws_reconnect_delay_seconds',
    help: 'Back-off delay chosen before each reconnect attempt.',
    buckets: RECONNECT_DELAY_BUCKETS,
    registers,
  });
  const heartbeatRttHistogram = new Histogram({
    name: 'ws_heartbeat_rtt_seconds',
    help: 'Heartbeat round trip: ping sent to pong received.',
    buckets: HEARTBEAT_RTT_BUCKETS,
    registers,
  });
  const socketErrors = new Counter({
    name: 'ws_errors_total',
    help: 'WebSocket errors by type (Nova name); heartbeat timeouts are error_type="heartbeat_timeout".',
    labelNames: ['error_type'],
    registers,
  });
  const framesSent = new Counter({
    name: 'ws_messages_sent_total',
    help: 'Frames sent on the socket, by frame type (Nova name).',
    labelNames: ['message_type'],
    registers,
  });
  const framesReceived = new Counter({
    name: 'ws_messages_received_total',
    help: 'Frames received on the socket, by frame type (Nova name).',
    labelNames: ['message_type'],
    registers,
  });
  const framesRejected = new Counter({
    name: 'ws_frames_rejected_total',
    help: 'Frames from the server dropped at the link: not JSON, not an object, an unknown type, or fields that do not match the protocol.',
    labelNames: ['reason', 'message_type'],
    registers,
  });
  const osOnlineGauge = new Gauge({
    name: 'os_online',
    help: 'Whether the operating system reports a network (1) or not (0).',
    registers,
  });
  const systemEvents = new Counter({
    name: 'system_events_total',
    help: 'Power and network events the OS reported to the core.',
    labelNames: ['event'],
    registers,
  });
  const authEvents = new Counter({
    name: 'auth_events_total',
    help: 'Sign-in, token refresh and sign-out events.',
    labelNames: ['event'],
    registers,
  });

  // ---- outbox and delivery ----
  const queueDepth = new Gauge({
    name: 'message_queue_depth',
    help: 'Messages in the outbox, by outbox state (Nova name; queue_type is the outbox state).',
    labelNames: ['queue_type'],
    registers,
  });
  // Read at scrape time, so ages keep growing while nothing else happens.
  const { secondsSince, oldestWaitingSince, startedAt, databaseSize } = read;
  new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest message still waiting to be sent; 0 when none waits.',
    registers,
    collect() {
      this.set(secondsSince(oldestWaitingSince()));
    },
  });
  const enqueuedCounter = new Counter({
    name: 'messages_enqueued_total',
    help: 'Messages written to the outbox (composed by the user).',
    registers,
  });
  const messageSize = new Histogram({
    name: 'message_size_bytes',
    help: 'Size of composed messages in UTF-8 bytes (Nova buckets).',
    buckets: MESSAGE_SIZE_BUCKETS,
    registers,
  });
  const sendAttempts = new Counter({
    name: 'message_send_attempts_total',
    help: 'Outbox send attempts by transport and outcome.',
    labelNames: ['transport', 'outcome'],
    registers,
  });
  const sendAck = new Histogram({
    name: 'message_send_ack_seconds',
    help: 'Send to ack round trip of the attempt the server acknowledged, by transport.',
    labelNames: ['transport'],
    buckets: SEND_ACK_BUCKETS,
    registers,
  });
  const messagesSent = new Counter({
    name: 'messages_sent_total',
    help: 'Outbox messages that reached an end (Nova name): success (acked) or failed (given up).',
    labelNames: ['status'],
    registers,
  });
  const deliveryFailures = new Counter({
    name: 'message_delivery_failures_total',
    help: 'Failed delivery attempts by error class (Nova name; error_type is the app error code).',
    labelNames: ['error_type'],
    registers,
  });
  const messagesReceived = new Counter({
    name: 'messages_received_total',
    help: 'Messages from the server stored locally (Nova name).',
    labelNames: ['status'],
    registers,
  });
  const duplicates = new Counter({
    name: 'messages_deduplicated_total',
    help: 'Messages dropped because the same id was already stored, by where the duplicate came from.',
    labelNames: ['source'],
    registers,
  });
  const resyncs = new Counter({
    name: 'resync_total',
    help: 'Per-conversation resyncs after a (re)connect or a gap, by result.',
    labelNames: ['result'],
    registers,
  });
  const resyncDuration = new Histogram({
    name: 'resync_duration_seconds',
    help: 'How long a resync took, by result.',
    labelNames: ['result'],
    buckets: RESYNC_BUCKETS,
    registers,
  });
  const resyncRetries = new Counter({
    name: 'resync_retries_total',
    help: 'Resyncs tried again after one failed (timeout, disconnect, error), with backoff.',
    registers,
  });
  const resyncBehind = new Gauge({
    name: 'resync_behind_conversations',
    help: 'Conversations whose resync has not succeeded yet ("catching up").',
    registers,
  });
  const resyncLag = new Gauge({
    name: 'resync_lag_seconds',
    help: 'How long the conversation furthest behind has been catching up (0 when none).',
    registers,
  });
  const sequenceGaps = new Counter({
    name: 'sequence_gaps_total',
    help: 'Sequence gaps detected in a gap-free conversation (each triggers a resync).',
    registers,
  });

  // ---- HTTP ----
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'REST calls to the server by endpoint role and status class.',
    labelNames: ['endpoint', 'status_class'],
    registers,
  });
  const apiLatency = new Histogram({
    name: 'message_api_latency_seconds',
    help: 'REST call latency by endpoint role (Nova name and buckets).',
    labelNames: ['endpoint'],
    buckets: API_LATENCY_BUCKETS,
    registers,
  });
  const httpRetries = new Counter({
    name: 'http_retries_total',
    help: 'REST calls retried, by reason.',
    labelNames: ['reason'],
    registers,
  });

  const bodiesRejected = new Counter({
    name: 'http_bodies_rejected_total',
    help: 'REST answers (or items of a list answer) that did not match the protocol and were dropped, by endpoint role.',
    labelNames: ['endpoint'],
    registers,
  });

  // ---- core, IPC, logs, support ----
  const ipcRequests = new Counter({
    name: 'ipc_requests_total',
    help: 'Renderer calls handled by the core, by channel and result (ok or the error code).',
    labelNames: ['channel', 'result'],
    registers,
  });
  const ipcDuration = new Histogram({
    name: 'ipc_request_duration_seconds',
    help: 'Time the core took to answer a renderer call, by channel.',
    labelNames: ['channel'],
    buckets: IPC_BUCKETS,
    registers,
  });
  const logLines = new Counter({
    name: 'log_lines_total',
    help: 'Log calls in the main process by level.',
    labelNames: ['level'],
    registers,
  });
  const notifications = new Counter({
    name: 'notifications_shown_total',
    help: 'Notifications sent to the window, by error code and severity.',
    labelNames: ['code', 'severity'],
    registers,
  });
  const coreEvents = new Counter({
    name: 'core_events_total',
    help: 'Events the core emitted towards the window, by event channel.',
    labelNames: ['channel'],
    registers,
  });
  const diagnosticsBundles = new Counter({
    name: 'diagnostics_bundles_total',
    help: 'Diagnostics bundles by result.',
    labelNames: ['result'],
    registers,
  });
  const coreStartTime = new Gauge({
    name: 'core_start_time_seconds',
    help: 'When the core started, in Unix seconds; 0 before start.',
    registers,
  });
  new Gauge({
    name: 'core_uptime_seconds',
    help: 'Seconds since the core started; 0 before start.',
    registers,
    collect() {
      this.set(secondsSince(startedAt()));
    },
  });
  new Gauge({
    name: 'nova_desktop_info',
    help: 'Constant 1, labelled with the app, Electron and Chromium versions.',
    labelNames: ['version', 'electron', 'chrome'],
    registers,
  })
    .labels({
      version: versionLabel(appInfo?.version),
      electron: versionLabel(appInfo?.electron),
      chrome: versionLabel(appInfo?.chrome),
    })
    .set(1);
  new Gauge({
    name: 'db_size_bytes',
    help: 'Size of the local SQLite database file.',
    registers,
    collect() {
      const size = databaseSize();
      if (size !== null) this.set(size);
    },
  });
  const scrapes = new Counter({
    name: 'metrics_scrapes_total',
    help: 'Times this exposition was rendered: by the HTTP endpoint or as a diagnostics snapshot.',
    labelNames: ['via'],
    registers,
  });
  // The shell's updater: one counter per step, each by how it ended.
  const updateChecks = new Counter({
    name: 'nova_update_checks_total',
    help: 'Update feed checks by result: up_to_date, available, downgrade_refused, unreachable, http_error, malformed, failed.',
    labelNames: ['result'],
    registers,
  });
  const updateDownloads = new Counter({
    name: 'nova_update_downloads_total',
    help: 'Update downloads: started, and how each ended (verified by its sha512, hash_mismatch, signature_invalid, failed, stalled).',
    labelNames: ['result'],
    registers,
  });
  const updateRestarts = new Counter({
    name: 'nova_update_restarts_total',
    help: 'Restarts into a downloaded update: asked now or after the outbox, why it went, installing, or failed.',
    labelNames: ['result'],
    registers,
  });

  const families = {
    connectionStateGauge,
    connectionTransitions,
    socketConnections,
    reconnections,
    reconnectDelay,
    heartbeatRttHistogram,
    socketErrors,
    framesSent,
    framesReceived,
    framesRejected,
    osOnlineGauge,
    systemEvents,
    authEvents,
    queueDepth,
    enqueuedCounter,
    messageSize,
    sendAttempts,
    sendAck,
    messagesSent,
    deliveryFailures,
    messagesReceived,
    duplicates,
    resyncs,
    resyncDuration,
    resyncRetries,
    resyncBehind,
    resyncLag,
    sequenceGaps,
    httpRequests,
    apiLatency,
    httpRetries,
    bodiesRejected,
    ipcRequests,
    ipcDuration,
    logLines,
    notifications,
    coreEvents,
    diagnosticsBundles,
    coreStartTime,
    scrapes,
    updateChecks,
    updateDownloads,
    updateRestarts,
  };
  initialiseSeries(families);
  return families;
}

export type Families = ReturnType<typeof createFamilies>;

/**
 * Creates every enumerable series at 0, so a dashboard shows 0 rather than "no data" and
 * `rate()` sees the first increment. Labels with many combinations (IPC channel × result)
 * start with the common one only.
 */
function initialiseSeries(f: Families): void {
  for (const state of CONNECTION_STATES) {
    f.connectionStateGauge.labels({ state }).set(0);
    f.connectionTransitions.labels({ to: state }).inc(0);
  }
  for (const status of SOCKET_STATUSES) f.socketConnections.labels({ status }).inc(0);
  for (const reason of RECONNECT_REASONS) f.reconnections.labels({ reason }).inc(0);
  for (const errorType of SOCKET_ERROR_TYPES) f.socketErrors.labels({ error_type: errorType }).inc(0);
  for (const reason of FRAME_REJECT_REASONS) f.framesRejected.labels({ reason, message_type: OTHER }).inc(0);
  for (const event of SYSTEM_EVENTS) f.systemEvents.labels({ event }).inc(0);
  for (const event of AUTH_EVENTS) f.authEvents.labels({ event }).inc(0);
  f.osOnlineGauge.set(1);
  for (const state of OUTBOX_STATES) f.queueDepth.labels({ queue_type: state }).set(0);
  for (const transport of TRANSPORTS) {
    for (const outcome of SEND_OUTCOMES) f.sendAttempts.labels({ transport, outcome }).inc(0);
  }
  for (const status of ['success', 'failed']) f.messagesSent.labels({ status }).inc(0);
  f.messagesReceived.labels({ status: 'success' }).inc(0);
  for (const source of DUPLICATE_SOURCES) f.duplicates.labels({ source }).inc(0);
  for (const result of RESYNC_RESULTS) f.resyncs.labels({ result }).inc(0);
  for (const reason of HTTP_RETRY_REASONS) f.httpRetries.labels({ reason }).inc(0);
  for (const endpoint of HTTP_ENDPOINTS) f.bodiesRejected.labels({ endpoint }).inc(0);
  for (const channel of INVOKE_CHANNELS) f.ipcRequests.labels({ channel, result: 'ok' }).inc(0);
  for (const level of LOG_LEVELS) f.logLines.labels({ level }).inc(0);
  for (const channel of EVENT_CHANNELS) f.coreEvents.labels({ channel }).inc(0);
  for (const result of DIAGNOSTICS_RESULTS) f.diagnosticsBundles.labels({ result }).inc(0);
  for (const via of SCRAPE_VIAS) f.scrapes.labels({ via }).inc(0);
  for (const result of UPDATE_CHECK_RESULTS) f.updateChecks.labels({ result }).inc(0);
  for (const result of UPDATE_DOWNLOAD_RESULTS) f.updateDownloads.labels({ result }).inc(0);
  for (const result of UPDATE_RESTART_RESULTS) f.updateRestarts.labels({ result }).inc(0);
}

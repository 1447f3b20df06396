/**
 * The client's Prometheus metrics: one service that owns its own registry (never prom-client's
 * global one, so two cores in one test process never share a counter) and a typed method per
 * thing that happens. Modules call the methods; nobody touches prom-client directly. Names,
 * labels and buckets follow Nova's where they fit a client (protocol §5.1, §8.7);
 * docs/monitoring.md lists every family and the code path that moves it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ERROR_INFO } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { AppInfo } from '../options';
import {
  AUTH_EVENTS,
  CONNECTION_STATES,
  DIAGNOSTICS_RESULTS,
  DUPLICATE_SOURCES,
  ERROR_CODES,
  EVENT_CHANNELS,
  FRAME_REJECT_REASONS,
  FRAME_TYPES,
  HTTP_ENDPOINTS,
  HTTP_RETRY_REASONS,
  HTTP_STATUS_CLASSES,
  INVOKE_CHANNELS,
  IPC_RESULTS,
  LOG_LEVELS,
  OTHER,
  OUTBOX_STATES,
  RECONNECT_REASONS,
  RESYNC_RESULTS,
  SCRAPE_VIAS,
  SEND_OUTCOMES,
  SEVERITIES,
  SOCKET_ERROR_TYPES,
  SOCKET_STATUSES,
  SYSTEM_EVENTS,
  TRANSPORTS,
  UPDATE_CHECK_RESULTS,
  UPDATE_DOWNLOAD_RESULTS,
  UPDATE_RESTART_RESULTS,
  closedLabel,
  type AuthEvent,
  type ConnectionState,
  type DiagnosticsResult,
  type DuplicateSource,
  type ErrorCode,
  type EventChannel,
  type FrameRejectReason,
  type FrameType,
  type HttpEndpoint,
  type HttpRetryReason,
  type HttpStatusClass,
  type InvokeChannel,
  type IpcResultLabel,
  type LogLevelName,
  type OutboxState,
  type ReconnectReason,
  type ResyncResult,
  type ScrapeVia,
  type SendOutcome,
  type Severity,
  type SocketErrorType,
  type SocketStatus,
  type SystemEventName,
  type Transport,
  type UpdateStep,
} from './labels';

export type MetricsOptions = Readonly<{
  /** Wall clock for ages and uptime; the core passes its injected clock. */
  clock?: Pick<Clock, 'now'>;
  appInfo?: AppInfo;
  /** Process metrics (CPU, memory, event loop, GC). Off only where a test wants a bare registry. */
  defaultMetrics?: boolean;
}>;

const SECONDS_PER_MS = 1 / 1000;

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

function statusClass(status: number | 'network_error' | 'timeout'): HttpStatusClass {
  if (status === 'network_error' || status === 'timeout') return status;
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? (`${hundreds}xx` as HttpStatusClass) : 'network_error';
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export class Metrics {
  /** The registry the endpoint and the diagnostics snapshot render; this service's alone. */
  readonly registry = new Registry();

  private readonly clock: Pick<Clock, 'now'>;
  private startedAtMs: number | null = null;
  private oldestWaitingSinceMs: number | null = null;
  private currentState: ConnectionState | null = null;
  private readDatabaseSize: (() => number | null) | null = null;

  // ---- connection (issue 5) ----
  private readonly connectionStateGauge: Gauge<'state'>;
  private readonly connectionTransitions: Counter<'to'>;
  private readonly socketConnections: Counter<'status'>;
  private readonly reconnections: Counter<'reason'>;
  private readonly reconnectDelay: Histogram;
  private readonly heartbeatRttHistogram: Histogram;
  private readonly socketErrors: Counter<'error_type'>;
  private readonly framesSent: Counter<'message_type'>;
  private readonly framesReceived: Counter<'message_type'>;
  private readonly framesRejected: Counter<'reason' | 'message_type'>;
  private readonly osOnlineGauge: Gauge;
  private readonly systemEvents: Counter<'event'>;
  private readonly authEvents: Counter<'event'>;
  // ---- outbox and delivery (issue 4) ----
  private readonly queueDepth: Gauge<'queue_type'>;
  private readonly enqueuedCounter: Counter;
  private readonly messageSize: Histogram;
  private readonly sendAttempts: Counter<'transport' | 'outcome'>;
  private readonly sendAck: Histogram<'transport'>;
  private readonly messagesSent: Counter<'status'>;
  private readonly deliveryFailures: Counter<'error_type'>;
  private readonly messagesReceived: Counter<'status'>;
  private readonly duplicates: Counter<'source'>;
  private readonly resyncs: Counter<'result'>;
  private readonly resyncDuration: Histogram<'result'>;
  private readonly sequenceGaps: Counter;
  // ---- HTTP ----
  private readonly httpRequests: Counter<'endpoint' | 'status_class'>;
  private readonly apiLatency: Histogram<'endpoint'>;
  private readonly httpRetries: Counter<'reason'>;
  private readonly bodiesRejected: Counter<'endpoint'>;
  // ---- core, IPC, logs, support ----
  private readonly ipcRequests: Counter<'channel' | 'result'>;
  private readonly ipcDuration: Histogram<'channel'>;
  private readonly logLines: Counter<'level'>;
  private readonly notifications: Counter<'code' | 'severity'>;
  private readonly coreEvents: Counter<'channel'>;
  private readonly diagnosticsBundles: Counter<'result'>;
  private readonly coreStartTime: Gauge;
  private readonly scrapes: Counter<'via'>;
  // ---- updates (the shell's updater) ----
  private readonly updateChecks: Counter<'result'>;
  private readonly updateDownloads: Counter<'result'>;
  private readonly updateRestarts: Counter<'result'>;

  constructor(options: MetricsOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    // ---- connection ----
    this.connectionStateGauge = new Gauge({
      name: 'ws_connection_state',
      help: 'Connection state, one series per state: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
    });
    this.connectionTransitions = new Counter({
      name: 'ws_connection_transitions_total',
      help: 'Connection state changes, by the state entered.',
      labelNames: ['to'],
      registers,
    });
    this.socketConnections = new Counter({
      name: 'ws_connections_total',
      help: 'WebSocket lifecycle events (Nova name): opened, closed, error.',
      labelNames: ['status'],
      registers,
    });
    this.reconnections = new Counter({
      name: 'ws_reconnections_total',
      help: 'Reconnect attempts scheduled, by reason (Nova name, client reasons added).',
      labelNames: ['reason'],
      registers,
    });
    this.reconnectDelay = new Histogram({
      name: 'ws_reconnect_delay_seconds',
      help: 'Back-off delay chosen before each reconnect attempt.',
      buckets: RECONNECT_DELAY_BUCKETS,
      registers,
    });
    this.heartbeatRttHistogram = new Histogram({
      name: 'ws_heartbeat_rtt_seconds',
      help: 'Heartbeat round trip: ping sent to pong received.',
      buckets: HEARTBEAT_RTT_BUCKETS,
      registers,
    });
    this.socketErrors = new Counter({
      name: 'ws_errors_total',
      help: 'WebSocket errors by type (Nova name); heartbeat timeouts are error_type="heartbeat_timeout".',
      labelNames: ['error_type'],
      registers,
    });
    this.framesSent = new Counter({
      name: 'ws_messages_sent_total',
      help: 'Frames sent on the socket, by frame type (Nova name).',
      labelNames: ['message_type'],
      registers,
    });
    this.framesReceived = new Counter({
      name: 'ws_messages_received_total',
      help: 'Frames received on the socket, by frame type (Nova name).',
      labelNames: ['message_type'],
      registers,
    });
    this.framesRejected = new Counter({
      name: 'ws_frames_rejected_total',
      help: 'Frames from the server dropped at the link: not JSON, not an object, an unknown type, or fields that do not match the protocol.',
      labelNames: ['reason', 'message_type'],
      registers,
    });
    this.osOnlineGauge = new Gauge({
      name: 'os_online',
      help: 'Whether the operating system reports a network (1) or not (0).',
      registers,
    });
    this.systemEvents = new Counter({
      name: 'system_events_total',
      help: 'Power and network events the OS reported to the core.',
      labelNames: ['event'],
      registers,
    });
    this.authEvents = new Counter({
      name: 'auth_events_total',
      help: 'Sign-in, token refresh and sign-out events.',
      labelNames: ['event'],
      registers,
    });

    // ---- outbox and delivery ----
    this.queueDepth = new Gauge({
      name: 'message_queue_depth',
      help: 'Messages in the outbox, by outbox state (Nova name; queue_type is the outbox state).',
      labelNames: ['queue_type'],
      registers,
    });
    // Read at scrape time, so ages keep growing while nothing else happens.
    const secondsSince = (sinceMs: number | null): number =>
      sinceMs === null ? 0 : nonNegative((this.clock.now() - sinceMs) * SECONDS_PER_MS);
    const oldestWaitingSince = (): number | null => this.oldestWaitingSinceMs;
    const startedAt = (): number | null => this.startedAtMs;
    const databaseSize = (): number | null => this.readDatabaseSize?.() ?? null;
    new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest message still waiting to be sent; 0 when none waits.',
      registers,
      collect() {
        this.set(secondsSince(oldestWaitingSince()));
      },
    });
    this.enqueuedCounter = new Counter({
      name: 'messages_enqueued_total',
      help: 'Messages written to the outbox (composed by the user).',
      registers,
    });
    this.messageSize = new Histogram({
      name: 'message_size_bytes',
      help: 'Size of composed messages in UTF-8 bytes (Nova buckets).',
      buckets: MESSAGE_SIZE_BUCKETS,
      registers,
    });
    this.sendAttempts = new Counter({
      name: 'message_send_attempts_total',
      help: 'Outbox send attempts by transport and outcome.',
      labelNames: ['transport', 'outcome'],
      registers,
    });
    this.sendAck = new Histogram({
      name: 'message_send_ack_seconds',
      help: 'Send to ack round trip of the attempt the server acknowledged, by transport.',
      labelNames: ['transport'],
      buckets: SEND_ACK_BUCKETS,
      registers,
    });
    this.messagesSent = new Counter({
      name: 'messages_sent_total',
      help: 'Outbox messages that reached an end (Nova name): success (acked) or failed (given up).',
      labelNames: ['status'],
      registers,
    });
    this.deliveryFailures = new Counter({
      name: 'message_delivery_failures_total',
      help: 'Failed delivery attempts by error class (Nova name; error_type is the app error code).',
      labelNames: ['error_type'],
      registers,
    });
    this.messagesReceived = new Counter({
      name: 'messages_received_total',
      help: 'Messages from the server stored locally (Nova name).',
      labelNames: ['status'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'messages_deduplicated_total',
      help: 'Messages dropped because the same id was already stored, by where the duplicate came from.',
      labelNames: ['source'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'resync_total',
      help: 'Per-conversation resyncs after a (re)connect or a gap, by result.',
      labelNames: ['result'],
      registers,
    });
    this.resyncDuration = new Histogram({
      name: 'resync_duration_seconds',
      help: 'How long a resync took, by result.',
      labelNames: ['result'],
      buckets: RESYNC_BUCKETS,
      registers,
    });
    this.sequenceGaps = new Counter({
      name: 'sequence_gaps_total',
      help: 'Sequence gaps detected in a gap-free conversation (each triggers a resync).',
      registers,
    });

    // ---- HTTP ----
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'REST calls to the server by endpoint role and status class.',
      labelNames: ['endpoint', 'status_class'],
      registers,
    });
    this.apiLatency = new Histogram({
      name: 'message_api_latency_seconds',
      help: 'REST call latency by endpoint role (Nova name and buckets).',
      labelNames: ['endpoint'],
      buckets: API_LATENCY_BUCKETS,
      registers,
    });
    this.httpRetries = new Counter({
      name: 'http_retries_total',
      help: 'REST calls retried, by reason.',
      labelNames: ['reason'],
      registers,
    });

    this.bodiesRejected = new Counter({
      name: 'http_bodies_rejected_total',
      help: 'REST answers (or items of a list answer) that did not match the protocol and were dropped, by endpoint role.',
      labelNames: ['endpoint'],
      registers,
    });

    // ---- core, IPC, logs, support ----
    this.ipcRequests = new Counter({
      name: 'ipc_requests_total',
      help: 'Renderer calls handled by the core, by channel and result (ok or the error code).',
      labelNames: ['channel', 'result'],
      registers,
    });
    this.ipcDuration = new Histogram({
      name: 'ipc_request_duration_seconds',
      help: 'Time the core took to answer a renderer call, by channel.',
      labelNames: ['channel'],
      buckets: IPC_BUCKETS,
      registers,
    });
    this.logLines = new Counter({
      name: 'log_lines_total',
      help: 'Log calls in the main process by level.',
      labelNames: ['level'],
      registers,
    });
    this.notifications = new Counter({
      name: 'notifications_shown_total',
      help: 'Notifications sent to the window, by error code and severity.',
      labelNames: ['code', 'severity'],
      registers,
    });
    this.coreEvents = new Counter({
      name: 'core_events_total',
      help: 'Events the core emitted towards the window, by event channel.',
      labelNames: ['channel'],
      registers,
    });
    this.diagnosticsBundles = new Counter({
      name: 'diagnostics_bundles_total',
      help: 'Diagnostics bundles by result.',
      labelNames: ['result'],
      registers,
    });
    this.coreStartTime = new Gauge({
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
        version: versionLabel(options.appInfo?.version),
        electron: versionLabel(options.appInfo?.electron),
        chrome: versionLabel(options.appInfo?.chrome),
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
    this.scrapes = new Counter({
      name: 'metrics_scrapes_total',
      help: 'Times this exposition was rendered: by the HTTP endpoint or as a diagnostics snapshot.',
      labelNames: ['via'],
      registers,
    });

    // ---- updates ----
    this.updateChecks = new Counter({
      name: 'nova_update_checks_total',
      help: 'Update feed checks by result: up_to_date, available, downgrade_refused, unreachable, http_error, malformed, failed.',
      labelNames: ['result'],
      registers,
    });
    this.updateDownloads = new Counter({
      name: 'nova_update_downloads_total',
      help: 'Update downloads: started, and how each ended (verified by its sha512, hash_mismatch, signature_invalid, failed, stalled).',
      labelNames: ['result'],
      registers,
    });
    this.updateRestarts = new Counter({
      name: 'nova_update_restarts_total',
      help: 'Restarts into a downloaded update: asked now or after the outbox, why it went, installing, or failed.',
      labelNames: ['result'],
      registers,
    });

    this.initialiseSeries();
  }

  /**
   * Creates every enumerable series at 0, so a dashboard shows 0 rather than "no data" and
   * `rate()` sees the first increment. Labels with many combinations (IPC channel × result)
   * start with the common one only.
   */
  private initialiseSeries(): void {
    for (const state of CONNECTION_STATES) {
      this.connectionStateGauge.labels({ state }).set(0);
      this.connectionTransitions.labels({ to: state }).inc(0);
    }
    for (const status of SOCKET_STATUSES) this.socketConnections.labels({ status }).inc(0);
    for (const reason of RECONNECT_REASONS) this.reconnections.labels({ reason }).inc(0);
    for (const errorType of SOCKET_ERROR_TYPES) this.socketErrors.labels({ error_type: errorType }).inc(0);
    for (const reason of FRAME_REJECT_REASONS) this.framesRejected.labels({ reason, message_type: OTHER }).inc(0);
    for (const event of SYSTEM_EVENTS) this.systemEvents.labels({ event }).inc(0);
    for (const event of AUTH_EVENTS) this.authEvents.labels({ event }).inc(0);
    this.osOnlineGauge.set(1);
    for (const state of OUTBOX_STATES) this.queueDepth.labels({ queue_type: state }).set(0);
    for (const transport of TRANSPORTS) {
      for (const outcome of SEND_OUTCOMES) this.sendAttempts.labels({ transport, outcome }).inc(0);
    }
    for (const status of ['success', 'failed']) this.messagesSent.labels({ status }).inc(0);
    this.messagesReceived.labels({ status: 'success' }).inc(0);
    for (const source of DUPLICATE_SOURCES) this.duplicates.labels({ source }).inc(0);
    for (const result of RESYNC_RESULTS) this.resyncs.labels({ result }).inc(0);
    for (const reason of HTTP_RETRY_REASONS) this.httpRetries.labels({ reason }).inc(0);
    for (const endpoint of HTTP_ENDPOINTS) this.bodiesRejected.labels({ endpoint }).inc(0);
    for (const channel of INVOKE_CHANNELS) this.ipcRequests.labels({ channel, result: 'ok' }).inc(0);
    for (const level of LOG_LEVELS) this.logLines.labels({ level }).inc(0);
    for (const channel of EVENT_CHANNELS) this.coreEvents.labels({ channel }).inc(0);
    for (const result of DIAGNOSTICS_RESULTS) this.diagnosticsBundles.labels({ result }).inc(0);
    for (const via of SCRAPE_VIAS) this.scrapes.labels({ via }).inc(0);
    for (const result of UPDATE_CHECK_RESULTS) this.updateChecks.labels({ result }).inc(0);
    for (const result of UPDATE_DOWNLOAD_RESULTS) this.updateDownloads.labels({ result }).inc(0);
    for (const result of UPDATE_RESTART_RESULTS) this.updateRestarts.labels({ result }).inc(0);
  }

  // ---- connection (issue 5) -------------------------------------------------------------------

  /** The connection entered `state`. Sets the one-hot gauge and counts the transition. */
  connectionState(state: ConnectionState): void {
    const next = closedLabel(state, CONNECTION_STATES) as ConnectionState;
    if (next === this.currentState) return;
    for (const candidate of CONNECTION_STATES) {
      this.connectionStateGauge.labels({ state: candidate }).set(candidate === next ? 1 : 0);
    }
    this.connectionTransitions.labels({ to: next }).inc();
    this.currentState = next;
  }

  /** The socket opened, closed or errored (Nova's `ws_connections_total{status}`). */
  socketEvent(status: SocketStatus): void {
    this.socketConnections.labels({ status: closedLabel(status, SOCKET_STATUSES) }).inc();
  }

  /** A reconnect was scheduled; pass the back-off delay when one was chosen. */
  reconnect(reason: ReconnectReason, delayMs?: number): void {
    this.reconnections.labels({ reason: closedLabel(reason, RECONNECT_REASONS) }).inc();
    if (delayMs !== undefined) this.reconnectDelay.observe(nonNegative(delayMs) * SECONDS_PER_MS);
  }

  /** A pong arrived `ms` after its ping. */
  heartbeatRtt(ms: number): void {
    this.heartbeatRttHistogram.observe(nonNegative(ms) * SECONDS_PER_MS);
  }

  /** No pong within the deadline: `ws_errors_total{error_type="heartbeat_timeout"}` (§8.6). */
  heartbeatTimeout(): void {
    this.socketError('heartbeat_timeout');
  }

  socketError(errorType: SocketErrorType): void {
    this.socketErrors.labels({ error_type: closedLabel(errorType, SOCKET_ERROR_TYPES) }).inc();
  }

  /** A frame went out on the socket; pass the frame's `type` (unknown types count as `other`). */
  frameSent(type: FrameType | string): void {
    this.framesSent.labels({ message_type: closedLabel(type, FRAME_TYPES) }).inc();
  }

  /** A frame arrived on the socket; pass the frame's `type` (unknown types count as `other`). */
  frameReceived(type: FrameType | string): void {
    this.framesReceived.labels({ message_type: closedLabel(type, FRAME_TYPES) }).inc();
  }

  /** A frame from the server was dropped at the link: why, and its `type` (unknown types count as `other`). */
  frameRejected(reason: FrameRejectReason, type: FrameType | string): void {
    this.framesRejected
      .labels({ reason: closedLabel(reason, FRAME_REJECT_REASONS), message_type: closedLabel(type, FRAME_TYPES) })
      .inc();
  }

  /** A REST answer, or `count` items of a list answer, did not match the protocol and was dropped. */
  bodyRejected(endpoint: HttpEndpoint, count = 1): void {
    this.bodiesRejected.labels({ endpoint: closedLabel(endpoint, HTTP_ENDPOINTS) }).inc(nonNegative(count));
  }

  /** The OS said suspend, resume, online or offline (the shell forwards powerMonitor and net). */
  systemEvent(event: SystemEventName): void {
    this.systemEvents.labels({ event: closedLabel(event, SYSTEM_EVENTS) }).inc();
    if (event === 'online') this.osOnlineGauge.set(1);
    if (event === 'offline') this.osOnlineGauge.set(0);
  }

  authEvent(event: AuthEvent): void {
    this.authEvents.labels({ event: closedLabel(event, AUTH_EVENTS) }).inc();
  }

  // ---- outbox and delivery (issue 4) ----------------------------------------------------------

  /** The outbox's counts by state; states left out are 0. Call after every outbox change. */
  outboxDepth(byState: Readonly<Partial<Record<OutboxState, number>>>): void {
    for (const state of OUTBOX_STATES) this.queueDepth.labels({ queue_type: state }).set(nonNegative(byState[state] ?? 0));
  }

  /**
   * When the oldest still-waiting message was composed (epoch ms), or null when none waits.
   * The age is computed at scrape time, so it keeps growing while nothing else happens.
   */
  outboxOldestWaiting(composedAtMs: number | null): void {
    this.oldestWaitingSinceMs = composedAtMs !== null && Number.isFinite(composedAtMs) ? composedAtMs : null;
  }

  /** A message was written to the outbox; its size in UTF-8 bytes. */
  messageEnqueued(sizeBytes: number): void {
    this.enqueuedCounter.inc();
    this.messageSize.observe(nonNegative(sizeBytes));
  }

  /** One attempt to deliver an outbox message ended (the contract's attempt outcomes). */
  sendAttempt(transport: Transport, outcome: SendOutcome): void {
    this.sendAttempts
      .labels({ transport: closedLabel(transport, TRANSPORTS), outcome: closedLabel(outcome, SEND_OUTCOMES) })
      .inc();
  }

  /** Seconds from the acknowledged attempt's send to its ack (WS `ack` or REST 200). */
  sendAckLatency(seconds: number, transport: Transport = 'ws'): void {
    this.sendAck.labels({ transport: closedLabel(transport, TRANSPORTS) }).observe(nonNegative(seconds));
  }

  /** An outbox message was acknowledged by the server (new or duplicate): it left the outbox. */
  delivered(): void {
    this.messagesSent.labels({ status: 'success' }).inc();
  }

  /**
   * A delivery attempt failed with `errorClass`. `isFinal` when the message is given up
   * (state `failed`), which is what the failure-ratio alert counts.
   */
  deliveryFailed(errorClass: ErrorCode, isFinal = true): void {
    this.deliveryFailures.labels({ error_type: closedLabel(errorClass, ERROR_CODES) }).inc();
    if (isFinal) this.messagesSent.labels({ status: 'failed' }).inc();
  }

  /** A message from the server was stored. */
  messageReceived(): void {
    this.messagesReceived.labels({ status: 'success' }).inc();
  }

  /** A message was dropped because its id was already stored. */
  duplicateDropped(source: DuplicateSource): void {
    this.duplicates.labels({ source: closedLabel(source, DUPLICATE_SOURCES) }).inc();
  }

  /** A conversation's resync ended; pass how long it took when known. */
  resync(result: ResyncResult, durationSeconds?: number): void {
    const label = closedLabel(result, RESYNC_RESULTS);
    this.resyncs.labels({ result: label }).inc();
    if (durationSeconds !== undefined) this.resyncDuration.labels({ result: label }).observe(nonNegative(durationSeconds));
  }

  /** A frame's sequence number skipped ahead in a gap-free conversation. */
  sequenceGap(): void {
    this.sequenceGaps.inc();
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  /** A REST call ended with an HTTP status (or no answer at all) after `seconds`. */
  httpRequest(endpoint: HttpEndpoint | typeof OTHER, status: number | 'network_error' | 'timeout', seconds: number): void {
    const role = closedLabel(endpoint, HTTP_ENDPOINTS);
    this.httpRequests.labels({ endpoint: role, status_class: closedLabel(statusClass(status), HTTP_STATUS_CLASSES) }).inc();
    this.apiLatency.labels({ endpoint: role }).observe(nonNegative(seconds));
  }

  /** A REST call is about to be retried. */
  httpRetry(reason: HttpRetryReason): void {
    this.httpRetries.labels({ reason: closedLabel(reason, HTTP_RETRY_REASONS) }).inc();
  }

  // ---- core, IPC, logs, support ---------------------------------------------------------------

  /** A renderer call ended: `ok` or the error code it answered with, after `seconds`. */
  ipcCall(channel: InvokeChannel, result: IpcResultLabel, seconds: number): void {
    const name = closedLabel(channel, INVOKE_CHANNELS);
    this.ipcRequests.labels({ channel: name, result: closedLabel(result, IPC_RESULTS) }).inc();
    this.ipcDuration.labels({ channel: name }).observe(nonNegative(seconds));
  }

  logLine(level: LogLevelName): void {
    this.logLines.labels({ level: closedLabel(level, LOG_LEVELS) }).inc();
  }

  /** A notification went to the window; severity defaults to the code's own. */
  notificationShown(type: ErrorCode, severity?: Severity): void {
    const code = closedLabel(type, ERROR_CODES);
    const level = severity ?? (code === OTHER ? OTHER : ERROR_INFO[code as ErrorCode].severity);
    this.notifications.labels({ code, severity: closedLabel(level, SEVERITIES) }).inc();
  }

  coreEvent(channel: EventChannel): void {
    this.coreEvents.labels({ channel: closedLabel(channel, EVENT_CHANNELS) }).inc();
  }

  diagnosticsBundle(result: DiagnosticsResult = 'collected'): void {
    this.diagnosticsBundles.labels({ result: closedLabel(result, DIAGNOSTICS_RESULTS) }).inc();
  }

  /** A step of the shell's updater ended: a check, a download, a restart into a new version. */
  updateStep(update: UpdateStep): void {
    if (update.step === 'check') this.updateChecks.labels({ result: closedLabel(update.result, UPDATE_CHECK_RESULTS) }).inc();
    else if (update.step === 'download') this.updateDownloads.labels({ result: closedLabel(update.result, UPDATE_DOWNLOAD_RESULTS) }).inc();
    else this.updateRestarts.labels({ result: closedLabel(update.result, UPDATE_RESTART_RESULTS) }).inc();
  }

  /** The core started now; uptime counts from here. */
  coreStarted(): void {
    this.startedAtMs = this.clock.now();
    this.coreStartTime.set(this.startedAtMs * SECONDS_PER_MS);
  }

  /** Where the database size comes from; return null once the database is closed. */
  observeDatabaseSize(read: () => number | null): void {
    this.readDatabaseSize = read;
  }

  // ---- exposition -----------------------------------------------------------------------------

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition, counted as a scrape by `via`. */
  render(via: ScrapeVia): Promise<string> {
    this.scrapes.labels({ via }).inc();
    return this.registry.metrics();
  }

  /** The text exposition for the diagnostics bundle. */
  snapshot(): Promise<string> {
    return this.render('snapshot');
  }
}

/**
 * The client's Prometheus metrics: one service that owns its own registry (never prom-client's
 * global one, so two cores in one test process never share a counter) and a typed method per
 * thing that happens. Modules call the methods; nobody touches prom-client directly. Names,
 * labels and buckets follow Nova's where they fit a client (protocol §5.1, §8.7);
 * docs/monitoring.md lists every family and the code path that moves it.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ERROR_INFO } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { AppInfo } from '../options';
import { createFamilies, type Families } from './families';
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

function statusClass(status: number | 'network_error' | 'timeout'): HttpStatusClass {
  if (status === 'network_error' || status === 'timeout') return status;
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? (`${hundreds}xx` as HttpStatusClass) : 'network_error';
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

let processRegistry: Registry | null = null;

/**
 * Process metrics (CPU, memory, event loop, GC) describe the process, not a core; and
 * prom-client's collector starts an event-loop monitor it never stops. So they are collected
 * once per process, and every core's exposition includes them: a core started and stopped
 * fifty times in one test process leaves no monitor behind.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  /** What the endpoint and the diagnostics snapshot render: this service's families, plus the process's. */
  readonly registry: Registry;

  private readonly clock: Pick<Clock, 'now'>;
  private startedAtMs: number | null = null;
  private oldestWaitingSinceMs: number | null = null;
  private currentState: ConnectionState | null = null;
  private readDatabaseSize: (() => number | null) | null = null;

  private readonly f: Families;

  constructor(options: MetricsOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
    const own = new Registry();
    this.f = createFamilies(own, options.appInfo, {
      secondsSince: (sinceMs) => (sinceMs === null ? 0 : nonNegative((this.clock.now() - sinceMs) * SECONDS_PER_MS)),
      oldestWaitingSince: () => this.oldestWaitingSinceMs,
      startedAt: () => this.startedAtMs,
      databaseSize: () => this.readDatabaseSize?.() ?? null,
    });
    this.registry = options.defaultMetrics ?? true ? Registry.merge([own, processMetrics()]) : own;
  }

  // ---- connection -------------------------------------------------------------------

  /** The connection entered `state`. Sets the one-hot gauge and counts the transition. */
  connectionState(state: ConnectionState): void {
    const next = closedLabel(state, CONNECTION_STATES) as ConnectionState;
    if (next === this.currentState) return;
    for (const candidate of CONNECTION_STATES) {
      this.f.connectionStateGauge.labels({ state: candidate }).set(candidate === next ? 1 : 0);
    }
    this.f.connectionTransitions.labels({ to: next }).inc();
    this.currentState = next;
  }

  /** The socket opened, closed or errored (Nova's `ws_connections_total{status}`). */
  socketEvent(status: SocketStatus): void {
    this.f.socketConnections.labels({ status: closedLabel(status, SOCKET_STATUSES) }).inc();
  }

  /** A reconnect was scheduled; pass the back-off delay when one was chosen. */
  reconnect(reason: ReconnectReason, delayMs?: number): void {
    this.f.reconnections.labels({ reason: closedLabel(reason, RECONNECT_REASONS) }).inc();
    if (delayMs !== undefined) this.f.reconnectDelay.observe(nonNegative(delayMs) * SECONDS_PER_MS);
  }

  /** A pong arrived `ms` after its ping. */
  heartbeatRtt(ms: number): void {
    this.f.heartbeatRttHistogram.observe(nonNegative(ms) * SECONDS_PER_MS);
  }

  /** No pong within the deadline: `ws_errors_total{error_type="heartbeat_timeout"}` (§8.6). */
  heartbeatTimeout(): void {
    this.socketError('heartbeat_timeout');
  }

  socketError(errorType: SocketErrorType): void {
    this.f.socketErrors.labels({ error_type: closedLabel(errorType, SOCKET_ERROR_TYPES) }).inc();
  }

  /** A frame went out on the socket; pass the frame's `type` (unknown types count as `other`). */
  frameSent(type: FrameType | string): void {
    this.f.framesSent.labels({ message_type: closedLabel(type, FRAME_TYPES) }).inc();
  }

  /** A frame arrived on the socket; pass the frame's `type` (unknown types count as `other`). */
  frameReceived(type: FrameType | string): void {
    this.f.framesReceived.labels({ message_type: closedLabel(type, FRAME_TYPES) }).inc();
  }

  /** A frame from the server was dropped at the link: why, and its `type` (unknown types count as `other`). */
  frameRejected(reason: FrameRejectReason, type: FrameType | string): void {
    this.f.framesRejected
      .labels({ reason: closedLabel(reason, FRAME_REJECT_REASONS), message_type: closedLabel(type, FRAME_TYPES) })
      .inc();
  }

  /** A REST answer, or `count` items of a list answer, did not match the protocol and was dropped. */
  bodyRejected(endpoint: HttpEndpoint, count = 1): void {
    this.f.bodiesRejected.labels({ endpoint: closedLabel(endpoint, HTTP_ENDPOINTS) }).inc(nonNegative(count));
  }

  /** The OS said suspend, resume, online or offline (the shell forwards powerMonitor and net). */
  systemEvent(event: SystemEventName): void {
    this.f.systemEvents.labels({ event: closedLabel(event, SYSTEM_EVENTS) }).inc();
    if (event === 'online') this.f.osOnlineGauge.set(1);
    if (event === 'offline') this.f.osOnlineGauge.set(0);
  }

  authEvent(event: AuthEvent): void {
    this.f.authEvents.labels({ event: closedLabel(event, AUTH_EVENTS) }).inc();
  }

  // ---- outbox and delivery ----------------------------------------------------------

  /** The outbox's counts by state; states left out are 0. Call after every outbox change. */
  outboxDepth(byState: Readonly<Partial<Record<OutboxState, number>>>): void {
    for (const state of OUTBOX_STATES) this.f.queueDepth.labels({ queue_type: state }).set(nonNegative(byState[state] ?? 0));
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
    this.f.enqueuedCounter.inc();
    this.f.messageSize.observe(nonNegative(sizeBytes));
  }

  /** One attempt to deliver an outbox message ended (the contract's attempt outcomes). */
  sendAttempt(transport: Transport, outcome: SendOutcome): void {
    this.f.sendAttempts
      .labels({ transport: closedLabel(transport, TRANSPORTS), outcome: closedLabel(outcome, SEND_OUTCOMES) })
      .inc();
  }

  /** Seconds from the acknowledged attempt's send to its ack (WS `ack` or REST 200). */
  sendAckLatency(seconds: number, transport: Transport = 'ws'): void {
    this.f.sendAck.labels({ transport: closedLabel(transport, TRANSPORTS) }).observe(nonNegative(seconds));
  }

  /** An outbox message was acknowledged by the server (new or duplicate): it left the outbox. */
  delivered(): void {
    this.f.messagesSent.labels({ status: 'success' }).inc();
  }

  /**
   * A delivery attempt failed with `errorClass`. `isFinal` when the message is given up
   * (state `failed`), which is what the failure-ratio alert counts.
   */
  deliveryFailed(errorClass: ErrorCode, isFinal = true): void {
    this.f.deliveryFailures.labels({ error_type: closedLabel(errorClass, ERROR_CODES) }).inc();
    if (isFinal) this.f.messagesSent.labels({ status: 'failed' }).inc();
  }

  /** A message from the server was stored. */
  messageReceived(): void {
    this.f.messagesReceived.labels({ status: 'success' }).inc();
  }

  /** A message was dropped because its id was already stored. */
  duplicateDropped(source: DuplicateSource): void {
    this.f.duplicates.labels({ source: closedLabel(source, DUPLICATE_SOURCES) }).inc();
  }

  /** A conversation's resync ended; pass how long it took when known. */
  resync(result: ResyncResult, durationSeconds?: number): void {
    const label = closedLabel(result, RESYNC_RESULTS);
    this.f.resyncs.labels({ result: label }).inc();
    if (durationSeconds !== undefined) this.f.resyncDuration.labels({ result: label }).observe(nonNegative(durationSeconds));
  }

  /** A failed resync was scheduled again. */
  resyncRetry(): void {
    this.f.resyncRetries.inc();
  }

  /** Conversations still catching up, and for how long the oldest of them has been. */
  resyncBehind(conversations: number, lagSeconds: number): void {
    this.f.resyncBehind.set(conversations);
    this.f.resyncLag.set(nonNegative(lagSeconds));
  }

  /** A frame's sequence number skipped ahead in a gap-free conversation. */
  sequenceGap(): void {
    this.f.sequenceGaps.inc();
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  /** A REST call ended with an HTTP status (or no answer at all) after `seconds`. */
  httpRequest(endpoint: HttpEndpoint | typeof OTHER, status: number | 'network_error' | 'timeout', seconds: number): void {
    const role = closedLabel(endpoint, HTTP_ENDPOINTS);
    this.f.httpRequests.labels({ endpoint: role, status_class: closedLabel(statusClass(status), HTTP_STATUS_CLASSES) }).inc();
    this.f.apiLatency.labels({ endpoint: role }).observe(nonNegative(seconds));
  }

  /** A REST call is about to be retried. */
  httpRetry(reason: HttpRetryReason): void {
    this.f.httpRetries.labels({ reason: closedLabel(reason, HTTP_RETRY_REASONS) }).inc();
  }

  // ---- core, IPC, logs, support ---------------------------------------------------------------

  /** A renderer call ended: `ok` or the error code it answered with, after `seconds`. */
  ipcCall(channel: InvokeChannel, result: IpcResultLabel, seconds: number): void {
    const name = closedLabel(channel, INVOKE_CHANNELS);
    this.f.ipcRequests.labels({ channel: name, result: closedLabel(result, IPC_RESULTS) }).inc();
    this.f.ipcDuration.labels({ channel: name }).observe(nonNegative(seconds));
  }

  logLine(level: LogLevelName): void {
    this.f.logLines.labels({ level: closedLabel(level, LOG_LEVELS) }).inc();
  }

  /** A notification went to the window; severity defaults to the code's own. */
  notificationShown(type: ErrorCode, severity?: Severity): void {
    const code = closedLabel(type, ERROR_CODES);
    const level = severity ?? (code === OTHER ? OTHER : ERROR_INFO[code as ErrorCode].severity);
    this.f.notifications.labels({ code, severity: closedLabel(level, SEVERITIES) }).inc();
  }

  coreEvent(channel: EventChannel): void {
    this.f.coreEvents.labels({ channel: closedLabel(channel, EVENT_CHANNELS) }).inc();
  }

  diagnosticsBundle(result: DiagnosticsResult = 'collected'): void {
    this.f.diagnosticsBundles.labels({ result: closedLabel(result, DIAGNOSTICS_RESULTS) }).inc();
  }

  /** A step of the shell's updater ended: a check, a download, a restart into a new version. */
  updateStep(update: UpdateStep): void {
    if (update.step === 'check') this.f.updateChecks.labels({ result: closedLabel(update.result, UPDATE_CHECK_RESULTS) }).inc();
    else if (update.step === 'download') this.f.updateDownloads.labels({ result: closedLabel(update.result, UPDATE_DOWNLOAD_RESULTS) }).inc();
    else this.f.updateRestarts.labels({ result: closedLabel(update.result, UPDATE_RESTART_RESULTS) }).inc();
  }

  /** The core started now; uptime counts from here. */
  coreStarted(): void {
    this.startedAtMs = this.clock.now();
    this.f.coreStartTime.set(this.startedAtMs * SECONDS_PER_MS);
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
    this.f.scrapes.labels({ via }).inc();
    return this.registry.metrics();
  }

  /** The text exposition for the diagnostics bundle. */
  snapshot(): Promise<string> {
    return this.render('snapshot');
  }
}

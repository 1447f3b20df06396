import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/main/core/metrics';
import { ManualClock } from '../../support/clock';
import { familyNames, parseExposition, sampleValue } from './exposition';

/** A clock the test moves by hand, so ages and uptime are exact. */
const manualClock = (): ManualClock => new ManualClock({ start: 1_700_000_000_000 });

type Expectation = Readonly<{ sample: string; labels?: Record<string, string>; value: number }>;
type Case = Readonly<{ family: string; method: string; act: (m: Metrics, clock: ReturnType<typeof manualClock>) => void; expect: Expectation[] }>;

/**
 * One row per application family: the API call that moves it and the samples that must show
 * the move. The test below also checks that this table names every family the registry has.
 */
const CASES: Case[] = [
  {
    family: 'ws_connection_state',
    method: 'connectionState',
    act: (m) => m.connectionState('ERROR'),
    expect: [
      { sample: 'ws_connection_state', labels: { state: 'ERROR' }, value: 1 },
      { sample: 'ws_connection_state', labels: { state: 'CONNECTED' }, value: 0 },
    ],
  },
  {
    family: 'ws_connection_transitions_total',
    method: 'connectionState',
    act: (m) => {
      m.connectionState('CONNECTING');
      m.connectionState('CONNECTED');
      m.connectionState('CONNECTED');
    },
    expect: [{ sample: 'ws_connection_transitions_total', labels: { to: 'CONNECTED' }, value: 1 }],
  },
  {
    family: 'ws_connections_total',
    method: 'socketEvent',
    act: (m) => m.socketEvent('opened'),
    expect: [{ sample: 'ws_connections_total', labels: { status: 'opened' }, value: 1 }],
  },
  {
    family: 'ws_reconnections_total',
    method: 'reconnect',
    act: (m) => m.reconnect('heartbeat_timeout'),
    expect: [{ sample: 'ws_reconnections_total', labels: { reason: 'heartbeat_timeout' }, value: 1 }],
  },
  {
    family: 'ws_reconnect_delay_seconds',
    method: 'reconnect',
    act: (m) => m.reconnect('connection_lost', 3_000),
    expect: [
      { sample: 'ws_reconnect_delay_seconds_count', value: 1 },
      { sample: 'ws_reconnect_delay_seconds_sum', value: 3 },
      { sample: 'ws_reconnect_delay_seconds_bucket', labels: { le: '2' }, value: 0 },
      { sample: 'ws_reconnect_delay_seconds_bucket', labels: { le: '4' }, value: 1 },
    ],
  },
  {
    family: 'ws_heartbeat_rtt_seconds',
    method: 'heartbeatRtt',
    act: (m) => m.heartbeatRtt(40),
    expect: [
      { sample: 'ws_heartbeat_rtt_seconds_count', value: 1 },
      { sample: 'ws_heartbeat_rtt_seconds_sum', value: 0.04 },
      { sample: 'ws_heartbeat_rtt_seconds_bucket', labels: { le: '0.05' }, value: 1 },
    ],
  },
  {
    family: 'ws_errors_total',
    method: 'heartbeatTimeout / socketError',
    act: (m) => {
      m.heartbeatTimeout();
      m.socketError('decode');
    },
    expect: [
      { sample: 'ws_errors_total', labels: { error_type: 'heartbeat_timeout' }, value: 1 },
      { sample: 'ws_errors_total', labels: { error_type: 'decode' }, value: 1 },
    ],
  },
  {
    family: 'ws_messages_sent_total',
    method: 'frameSent',
    act: (m) => m.frameSent('ping'),
    expect: [{ sample: 'ws_messages_sent_total', labels: { message_type: 'ping' }, value: 1 }],
  },
  {
    family: 'ws_messages_received_total',
    method: 'frameReceived',
    act: (m) => {
      m.frameReceived('ack');
      m.frameReceived('some_future_frame');
    },
    expect: [
      { sample: 'ws_messages_received_total', labels: { message_type: 'ack' }, value: 1 },
      { sample: 'ws_messages_received_total', labels: { message_type: 'other' }, value: 1 },
    ],
  },
  {
    family: 'ws_frames_rejected_total',
    method: 'frameRejected',
    act: (m) => {
      m.frameRejected('invalid', 'ack');
      m.frameRejected('unknown_type', 'some_future_frame');
    },
    expect: [
      { sample: 'ws_frames_rejected_total', labels: { reason: 'invalid', message_type: 'ack' }, value: 1 },
      { sample: 'ws_frames_rejected_total', labels: { reason: 'unknown_type', message_type: 'other' }, value: 1 },
      { sample: 'ws_frames_rejected_total', labels: { reason: 'not_json', message_type: 'other' }, value: 0 },
    ],
  },
  {
    family: 'os_online',
    method: 'systemEvent',
    act: (m) => m.systemEvent('offline'),
    expect: [{ sample: 'os_online', value: 0 }],
  },
  {
    family: 'system_events_total',
    method: 'systemEvent',
    act: (m) => m.systemEvent('suspend'),
    expect: [{ sample: 'system_events_total', labels: { event: 'suspend' }, value: 1 }],
  },
  {
    family: 'auth_events_total',
    method: 'authEvent',
    act: (m) => m.authEvent('refresh_failed'),
    expect: [{ sample: 'auth_events_total', labels: { event: 'refresh_failed' }, value: 1 }],
  },
  {
    family: 'message_queue_depth',
    method: 'outboxDepth',
    act: (m) => m.outboxDepth({ saved: 3, failed: 1 }),
    expect: [
      { sample: 'message_queue_depth', labels: { queue_type: 'saved' }, value: 3 },
      { sample: 'message_queue_depth', labels: { queue_type: 'failed' }, value: 1 },
      { sample: 'message_queue_depth', labels: { queue_type: 'sending' }, value: 0 },
    ],
  },
  {
    family: 'outbox_oldest_pending_age_seconds',
    method: 'outboxOldestWaiting',
    act: (m, clock) => {
      m.outboxOldestWaiting(clock.now());
      clock.advance(90_000);
    },
    expect: [{ sample: 'outbox_oldest_pending_age_seconds', value: 90 }],
  },
  {
    family: 'messages_enqueued_total',
    method: 'messageEnqueued',
    act: (m) => m.messageEnqueued(12),
    expect: [{ sample: 'messages_enqueued_total', value: 1 }],
  },
  {
    family: 'message_size_bytes',
    method: 'messageEnqueued',
    act: (m) => m.messageEnqueued(5_000),
    expect: [
      { sample: 'message_size_bytes_sum', value: 5_000 },
      { sample: 'message_size_bytes_bucket', labels: { le: '1000' }, value: 0 },
      { sample: 'message_size_bytes_bucket', labels: { le: '10000' }, value: 1 },
    ],
  },
  {
    family: 'message_send_attempts_total',
    method: 'sendAttempt',
    act: (m) => m.sendAttempt('rest', 'retry'),
    expect: [{ sample: 'message_send_attempts_total', labels: { transport: 'rest', outcome: 'retry' }, value: 1 }],
  },
  {
    family: 'message_send_ack_seconds',
    method: 'sendAckLatency',
    act: (m) => m.sendAckLatency(0.3),
    expect: [
      { sample: 'message_send_ack_seconds_count', labels: { transport: 'ws' }, value: 1 },
      { sample: 'message_send_ack_seconds_bucket', labels: { transport: 'ws', le: '0.25' }, value: 0 },
      { sample: 'message_send_ack_seconds_bucket', labels: { transport: 'ws', le: '0.5' }, value: 1 },
    ],
  },
  {
    family: 'messages_sent_total',
    method: 'delivered / deliveryFailed',
    act: (m) => {
      m.delivered();
      m.delivered();
      m.deliveryFailed('MESSAGE_REJECTED');
      m.deliveryFailed('NETWORK_ERROR', false);
    },
    expect: [
      { sample: 'messages_sent_total', labels: { status: 'success' }, value: 2 },
      { sample: 'messages_sent_total', labels: { status: 'failed' }, value: 1 },
    ],
  },
  {
    family: 'message_delivery_failures_total',
    method: 'deliveryFailed',
    act: (m) => {
      m.deliveryFailed('NETWORK_ERROR', false);
      m.deliveryFailed('NETWORK_ERROR', false);
    },
    expect: [{ sample: 'message_delivery_failures_total', labels: { error_type: 'NETWORK_ERROR' }, value: 2 }],
  },
  {
    family: 'messages_received_total',
    method: 'messageReceived',
    act: (m) => m.messageReceived(),
    expect: [{ sample: 'messages_received_total', labels: { status: 'success' }, value: 1 }],
  },
  {
    family: 'messages_deduplicated_total',
    method: 'duplicateDropped',
    act: (m) => m.duplicateDropped('sync'),
    expect: [{ sample: 'messages_deduplicated_total', labels: { source: 'sync' }, value: 1 }],
  },
  {
    family: 'resync_total',
    method: 'resync',
    act: (m) => m.resync('partial'),
    expect: [{ sample: 'resync_total', labels: { result: 'partial' }, value: 1 }],
  },
  {
    family: 'resync_duration_seconds',
    method: 'resync',
    act: (m) => m.resync('complete', 1.5),
    expect: [{ sample: 'resync_duration_seconds_sum', labels: { result: 'complete' }, value: 1.5 }],
  },
  {
    family: 'resync_retries_total',
    method: 'resyncRetry',
    act: (m) => m.resyncRetry(),
    expect: [{ sample: 'resync_retries_total', value: 1 }],
  },
  {
    family: 'resync_behind_conversations',
    method: 'resyncBehind',
    act: (m) => m.resyncBehind(2, 7),
    expect: [{ sample: 'resync_behind_conversations', value: 2 }],
  },
  {
    family: 'resync_lag_seconds',
    method: 'resyncBehind',
    act: (m) => m.resyncBehind(1, 7),
    expect: [{ sample: 'resync_lag_seconds', value: 7 }],
  },
  {
    family: 'sequence_gaps_total',
    method: 'sequenceGap',
    act: (m) => m.sequenceGap(),
    expect: [{ sample: 'sequence_gaps_total', value: 1 }],
  },
  {
    family: 'http_requests_total',
    method: 'httpRequest',
    act: (m) => {
      m.httpRequest('messages_send', 503, 0.2);
      m.httpRequest('messages_send', 'timeout', 10);
    },
    expect: [
      { sample: 'http_requests_total', labels: { endpoint: 'messages_send', status_class: '5xx' }, value: 1 },
      { sample: 'http_requests_total', labels: { endpoint: 'messages_send', status_class: 'timeout' }, value: 1 },
    ],
  },
  {
    family: 'message_api_latency_seconds',
    method: 'httpRequest',
    act: (m) => m.httpRequest('conversations_list', 200, 0.07),
    expect: [{ sample: 'message_api_latency_seconds_bucket', labels: { endpoint: 'conversations_list', le: '0.1' }, value: 1 }],
  },
  {
    family: 'http_retries_total',
    method: 'httpRetry',
    act: (m) => m.httpRetry('rate_limited'),
    expect: [{ sample: 'http_retries_total', labels: { reason: 'rate_limited' }, value: 1 }],
  },
  {
    family: 'http_bodies_rejected_total',
    method: 'bodyRejected',
    act: (m) => {
      m.bodyRejected('messages_list', 3);
      m.bodyRejected('messages_send');
    },
    expect: [
      { sample: 'http_bodies_rejected_total', labels: { endpoint: 'messages_list' }, value: 3 },
      { sample: 'http_bodies_rejected_total', labels: { endpoint: 'messages_send' }, value: 1 },
      { sample: 'http_bodies_rejected_total', labels: { endpoint: 'conversations_list' }, value: 0 },
    ],
  },
  {
    family: 'ipc_requests_total',
    method: 'ipcCall',
    act: (m) => m.ipcCall('messages:send', 'OUTBOX_FULL', 0.001),
    expect: [{ sample: 'ipc_requests_total', labels: { channel: 'messages:send', result: 'OUTBOX_FULL' }, value: 1 }],
  },
  {
    family: 'ipc_request_duration_seconds',
    method: 'ipcCall',
    act: (m) => m.ipcCall('auth:status', 'ok', 0.002),
    expect: [{ sample: 'ipc_request_duration_seconds_count', labels: { channel: 'auth:status' }, value: 1 }],
  },
  {
    family: 'log_lines_total',
    method: 'logLine',
    act: (m) => m.logLine('warn'),
    expect: [{ sample: 'log_lines_total', labels: { level: 'warn' }, value: 1 }],
  },
  {
    family: 'notifications_shown_total',
    method: 'notificationShown',
    act: (m) => m.notificationShown('TOKEN_REVOKED'),
    expect: [{ sample: 'notifications_shown_total', labels: { code: 'TOKEN_REVOKED', severity: 'critical' }, value: 1 }],
  },
  {
    family: 'core_events_total',
    method: 'coreEvent',
    act: (m) => m.coreEvent('outbox:changed'),
    expect: [{ sample: 'core_events_total', labels: { channel: 'outbox:changed' }, value: 1 }],
  },
  {
    family: 'diagnostics_bundles_total',
    method: 'diagnosticsBundle',
    act: (m) => m.diagnosticsBundle('saved'),
    expect: [{ sample: 'diagnostics_bundles_total', labels: { result: 'saved' }, value: 1 }],
  },
  {
    family: 'core_start_time_seconds',
    method: 'coreStarted',
    act: (m) => m.coreStarted(),
    expect: [{ sample: 'core_start_time_seconds', value: 1_700_000_000 }],
  },
  {
    family: 'core_uptime_seconds',
    method: 'coreStarted',
    act: (m, clock) => {
      m.coreStarted();
      clock.advance(42_000);
    },
    expect: [{ sample: 'core_uptime_seconds', value: 42 }],
  },
  {
    family: 'nova_desktop_info',
    method: '(constructor appInfo)',
    act: () => undefined,
    expect: [{ sample: 'nova_desktop_info', labels: { version: '1.2.3', electron: '45.5.0', chrome: 'none' }, value: 1 }],
  },
  {
    family: 'db_size_bytes',
    method: 'observeDatabaseSize',
    act: (m) => m.observeDatabaseSize(() => 8192),
    expect: [{ sample: 'db_size_bytes', value: 8192 }],
  },
  {
    family: 'nova_update_checks_total',
    method: 'updateStep',
    act: (m) => {
      m.updateStep({ step: 'check', result: 'unreachable' });
      m.updateStep({ step: 'check', result: 'available' });
      m.updateStep({ step: 'check', result: 'unreachable' });
    },
    expect: [
      { sample: 'nova_update_checks_total', labels: { result: 'unreachable' }, value: 2 },
      { sample: 'nova_update_checks_total', labels: { result: 'available' }, value: 1 },
      { sample: 'nova_update_checks_total', labels: { result: 'malformed' }, value: 0 },
    ],
  },
  {
    family: 'nova_update_downloads_total',
    method: 'updateStep',
    act: (m) => m.updateStep({ step: 'download', result: 'hash_mismatch' }),
    expect: [
      { sample: 'nova_update_downloads_total', labels: { result: 'hash_mismatch' }, value: 1 },
      { sample: 'nova_update_downloads_total', labels: { result: 'verified' }, value: 0 },
    ],
  },
  {
    family: 'nova_update_restarts_total',
    method: 'updateStep',
    act: (m) => m.updateStep({ step: 'restart', result: 'when_sent' }),
    expect: [{ sample: 'nova_update_restarts_total', labels: { result: 'when_sent' }, value: 1 }],
  },
  {
    family: 'metrics_scrapes_total',
    method: 'snapshot / render',
    act: () => undefined,
    // The snapshot this test takes counts itself.
    expect: [{ sample: 'metrics_scrapes_total', labels: { via: 'snapshot' }, value: 1 }],
  },
];

function makeMetrics(clock = manualClock()): Metrics {
  return new Metrics({
    clock,
    defaultMetrics: false,
    appInfo: { name: 'Nova', version: '1.2.3', electron: '45.5.0', chrome: null },
  });
}

describe('Metrics', () => {
  it('registers at least 25 application families, and this table covers each of them', async () => {
    const names = familyNames(await makeMetrics().snapshot());
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect([...new Set(CASES.map((c) => c.family))].sort()).toEqual([...names].sort());
  });

  it.each(CASES)('$family moves when $method is called', async ({ act, expect: expectations }) => {
    const clock = manualClock();
    const metrics = makeMetrics(clock);
    act(metrics, clock);
    const text = await metrics.snapshot();
    for (const { sample, labels, value } of expectations) {
      expect({ sample, labels, value: sampleValue(text, sample, labels ?? {}) }).toEqual({ sample, labels, value });
    }
  });

  it('adds the default process metrics to its own registry, not the global one', async () => {
    const { register } = await import('prom-client');
    const metrics = new Metrics();
    const names = familyNames(await metrics.snapshot());
    expect(names).toEqual(expect.arrayContaining(['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']));
    expect(register.getMetricsAsArray().map((metric) => metric.name)).not.toContain('ws_connection_state');
  });

  it('keeps two instances apart', async () => {
    const first = makeMetrics();
    const second = makeMetrics();
    first.sequenceGap();
    expect(sampleValue(await second.snapshot(), 'sequence_gaps_total')).toBe(0);
  });

  it('reports the oldest waiting age as 0 when nothing waits, and keeps one state at 1', async () => {
    const clock = manualClock();
    const metrics = makeMetrics(clock);
    metrics.outboxOldestWaiting(clock.now());
    clock.advance(5_000);
    metrics.outboxOldestWaiting(null);
    metrics.connectionState('CONNECTING');
    metrics.connectionState('CONNECTED');
    const text = await metrics.snapshot();
    expect(sampleValue(text, 'outbox_oldest_pending_age_seconds')).toBe(0);
    const states = parseExposition(text).filter((sample) => sample.name === 'ws_connection_state');
    expect(states.filter((sample) => sample.value === 1).map((sample) => sample.labels['state'])).toEqual(['CONNECTED']);
  });
});

/**
 * Fleet metrics on the wire: what is selected and labelled, and the bounded buffer against a
 * receiver that decodes real remote-write requests (snappy + protobuf WriteRequest) and can be
 * told to fail. The end-to-end proof against Prometheus is tests/monitoring/fleet.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/main/core/metrics';
import { FLEET_FAMILIES, RemoteWriteBuffer, collectFleetBatch, type FleetBatch } from '../../../src/main/core/metrics/remote-write';
import { startRemoteWriteReceiver as receiver } from '../../support/remote-write-receiver';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const ALLOWED_LABELS = new Set(['__name__', 'job', 'install', 'state', 'reason', 'le', 'queue_type', 'error_type', 'version', 'electron', 'chrome']);

function batch(at: number, value: number): FleetBatch {
  return { at, samples: [{ labels: { __name__: 'message_queue_depth', install: 'i-1', job: 'nova_desktop_fleet', queue_type: 'saved' }, value }] };
}

describe('the fleet selection', () => {
  it('sends only the fleet families, labelled with job and install id and nothing that names a person', async () => {
    const metrics = new Metrics({ appInfo: { name: 'Nova', version: '1.4.0', electron: '45.5.0', chrome: null } });
    metrics.connectionState('RECONNECTING');
    metrics.reconnect('heartbeat_timeout', 1_000);
    metrics.reconnect('alice@nova.local' as never, 1_000);
    metrics.heartbeatRtt(42);
    metrics.outboxDepth({ saved: 3 });
    metrics.deliveryFailed('MESSAGE_REJECTED');
    metrics.ipcCall('auth:login', 'ok', 0.01);
    const fleet = await collectFleetBatch(metrics.registry, 'install-1', 1_000);

    const names = new Set(fleet.samples.map((sample) => sample.labels['__name__']));
    const families = [...names].map((name) => name?.replace(/_(bucket|sum|count)$/, '')).filter((name) => name !== undefined);
    expect(new Set(families)).toEqual(new Set(FLEET_FAMILIES));
    expect(names).toContain('ws_heartbeat_rtt_seconds_bucket');
    for (const sample of fleet.samples) {
      expect(Object.keys(sample.labels).filter((label) => !ALLOWED_LABELS.has(label))).toEqual([]);
      expect(sample.labels).toMatchObject({ job: 'nova_desktop_fleet', install: 'install-1' });
      expect(Object.keys(sample.labels)).toEqual([...Object.keys(sample.labels)].sort());
      expect(JSON.stringify(sample.labels)).not.toContain('@');
    }
    const value = (labels: Record<string, string>): number | undefined =>
      fleet.samples.find((sample) => Object.entries(labels).every(([key, v]) => sample.labels[key] === v))?.value;
    expect(value({ __name__: 'ws_connection_state', state: 'RECONNECTING' })).toBe(1);
    expect(value({ __name__: 'ws_reconnections_total', reason: 'other' })).toBe(1);
    expect(value({ __name__: 'message_queue_depth', queue_type: 'saved' })).toBe(3);
    expect(value({ __name__: 'message_delivery_failures_total', error_type: 'MESSAGE_REJECTED' })).toBe(1);
    expect(value({ __name__: 'nova_desktop_info', version: '1.4.0' })).toBe(1);
  });
});

describe('the remote-write buffer', () => {
  it('speaks remote-write 1.0: snappy protobuf, the version header, series in time order', async () => {
    const store = await receiver();
    closers.push(store.close);
    const buffer = new RemoteWriteBuffer({ url: store.url, headers: { 'X-Scope-OrgID': 'acme' }, userAgent: 'nova-desktop/1.4.0', maxBatches: 10, batchesPerRequest: 10, timeoutMs: 2_000 });
    buffer.add(batch(1_000, 1));
    buffer.add(batch(2_000, 2));
    expect(await buffer.flush(() => 5_000)).toBe('sent');
    expect(store.received).toHaveLength(1);
    const [request] = store.received;
    expect(request?.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'nova-desktop/1.4.0',
      'x-scope-orgid': 'acme',
    });
    expect(request?.series).toHaveLength(1);
    expect(request?.series[0]?.labels.map((label) => label.name)).toEqual(['__name__', 'install', 'job', 'queue_type']);
    expect(request?.series[0]?.samples.map((sample) => [sample.value, Number(sample.timestamp)])).toEqual([[1, 1_000], [2, 2_000]]);
    expect(buffer.size).toBe(0);
    expect(buffer.lastPushAt).toBe(5_000);
  });

  it('keeps pushes while the store fails, drops the oldest when full, then sends the rest oldest first', async () => {
    const store = await receiver();
    closers.push(store.close);
    store.answer.status = 503;
    const buffer = new RemoteWriteBuffer({ url: store.url, userAgent: 'test', maxBatches: 5, batchesPerRequest: 2, timeoutMs: 2_000 });
    for (let minute = 1; minute <= 8; minute += 1) {
      buffer.add(batch(minute * 60_000, minute));
      expect(await buffer.flush(() => 0)).toBe('kept');
    }
    expect(buffer.size).toBe(5);
    expect(buffer.dropped).toBe(3);
    expect(buffer.lastError).toBe('the metrics store answered 503: out of order sample');

    store.answer.status = 204;
    expect(await buffer.flush(() => 9 * 60_000)).toBe('sent');
    expect(buffer.size).toBe(0);
    expect(buffer.lastError).toBeNull();
    // Three requests of at most two pushes each, minutes 4 to 8 in order.
    const sent = store.received.map((request) => request.series[0]?.samples.map((sample) => sample.value));
    expect(sent).toEqual([[4, 5], [6, 7], [8]]);
  });

  it('drops a push the store refuses for good, and never waits for a stuck store', async () => {
    const store = await receiver();
    closers.push(store.close);
    const buffer = new RemoteWriteBuffer({ url: store.url, userAgent: 'test', maxBatches: 5, batchesPerRequest: 5, timeoutMs: 300 });
    store.answer.status = 400;
    buffer.add(batch(1_000, 1));
    expect(await buffer.flush(() => 0)).toBe('dropped');
    expect(buffer.size).toBe(0);
    expect(buffer.dropped).toBe(1);

    store.answer.status = 'hang';
    buffer.add(batch(2_000, 2));
    const first = buffer.flush(() => 0);
    // A second tick while the first request hangs returns at once instead of queueing another.
    expect(await buffer.flush(() => 0)).toBe('busy');
    expect(await first).toBe('kept');
    expect(buffer.lastError).toBe('the metrics store did not answer within 300 ms');
    expect(buffer.size).toBe(1);
  });
});

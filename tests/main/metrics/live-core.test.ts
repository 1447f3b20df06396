/**
 * A whole core as the app builds it (createCore, the real connection and auth, metricsPort 0)
 * against the seeded reference server, used the way a person would for a minute: sign in, send,
 * one refused message, one from Bob, one still waiting for its ack, a diagnostics bundle. Then
 * `/metrics` is fetched over HTTP and every application family is checked for a moved value.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BOB, startRealCoreRig, type RealCoreRig } from '../../support/real-core';
import { Metrics } from '../../../src/main/core/metrics';
import { familyNames, parseExposition, sampleValue, type Sample } from './exposition';
import { request } from './http';

/**
 * The application families a running core moves without the connection's own wiring (that is:
 * ws_* frames, reconnects and heartbeats, auth_events_total, http_*): 25 of them.
 */
const MOVED_BY_DELIVERY_CORE_AND_DIAGNOSTICS = [
  // outbox and delivery
  'message_queue_depth',
  'outbox_oldest_pending_age_seconds',
  'messages_enqueued_total',
  'message_size_bytes',
  'message_send_attempts_total',
  'message_send_ack_seconds',
  'messages_sent_total',
  'message_delivery_failures_total',
  'messages_received_total',
  'messages_deduplicated_total',
  'resync_total',
  'resync_duration_seconds',
  'sequence_gaps_total',
  // core, IPC, logs, support
  'ipc_requests_total',
  'ipc_request_duration_seconds',
  'log_lines_total',
  'notifications_shown_total',
  'core_events_total',
  'diagnostics_bundles_total',
  'core_start_time_seconds',
  'core_uptime_seconds',
  'db_size_bytes',
  'metrics_scrapes_total',
  // the connection state, which createCore follows from the connection's events
  'ws_connection_state',
  'ws_connection_transitions_total',
];

function isApplicationFamily(name: string): boolean {
  return !name.startsWith('process_') && !name.startsWith('nodejs_');
}

/** The family a sample belongs to: histogram samples carry a suffix. */
function samplesOf(samples: readonly Sample[], family: string): Sample[] {
  return samples.filter((sample) => [family, `${family}_bucket`, `${family}_sum`, `${family}_count`].includes(sample.name));
}

function seriesKey(sample: Sample): string {
  return `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
}

/**
 * Families with a sample that differs from what a fresh registry starts with (series created at
 * 0, os_online at 1, the info gauge at 1): only what something that happened changed counts.
 */
function movedFamilies(text: string, baselineText: string): string[] {
  const baseline = new Map(parseExposition(baselineText).map((sample) => [seriesKey(sample), sample.value]));
  const samples = parseExposition(text);
  return familyNames(text)
    .filter(isApplicationFamily)
    .filter((family) => samplesOf(samples, family).some((sample) => sample.value !== (baseline.get(seriesKey(sample)) ?? 0)));
}

let rig: RealCoreRig | null = null;
afterEach(async () => {
  await rig?.cleanup();
  rig = null;
});

describe('a running core, scraped over HTTP', () => {
  it('shows the application families that moved on /metrics', async () => {
    const appInfo = { name: 'Nova', version: '0.1.0', electron: null, chrome: null };
    rig = await startRealCoreRig({ core: { metricsPort: 0, appInfo } });
    const { core, server } = rig;
    const seed = server.seed;
    if (!seed) throw new Error('no seed');
    await rig.signIn();
    await rig.waitForState('CONNECTED');
    await core.delivery.whenSynced();

    for (const text of ['hello team', 'second', 'third']) {
      await core.handlers['messages:send']({ conversationId: seed.conversations.team, text });
    }
    await vi.waitFor(() => expect(core.getPendingCount()).toBe(0), { timeout: 5_000 });

    server.control.failNextSends(1, { status: 400 });
    await core.handlers['messages:send']({ conversationId: seed.conversations.team, text: 'refused' });
    await vi.waitFor(async () => expect((await core.handlers['outbox:list']({})).map((item) => item.state)).toEqual(['failed']));

    server.control.sendAs(BOB, seed.conversations.direct, 'from bob');
    await vi.waitFor(async () => {
      const page = await core.handlers['messages:list']({ conversationId: seed.conversations.direct });
      expect(page.messages.map((message) => message.text)).toContain('from bob');
    });

    // Frames lost on the way: the server drops what it would send while frozen, so Bob's next
    // message arrives beyond a gap, which the core notices and fills with a resync.
    server.control.halfOpen('freeze');
    server.control.sendAs(BOB, seed.conversations.direct, 'lost on the way');
    server.control.halfOpen('off');
    server.control.sendAs(BOB, seed.conversations.direct, 'after the gap');
    await vi.waitFor(async () => {
      const page = await core.handlers['messages:list']({ conversationId: seed.conversations.direct });
      expect(page.messages.map((message) => message.text)).toEqual(expect.arrayContaining(['lost on the way', 'after the gap']));
    });
    const afterGap = await core.metricsSnapshot();
    expect(sampleValue(afterGap, 'sequence_gaps_total')).toBe(1);
    // The resync fetches from the last contiguous number, so the frame beyond the gap comes again.
    expect(sampleValue(afterGap, 'messages_deduplicated_total', { source: 'sync' })).toBeGreaterThanOrEqual(1);

    await core.handlers['diagnostics:collect']({});

    // One message still on its way when the scrape comes: depth `sending` and a growing age.
    // (A delayed ack would not do: the server's echo settles the message first.)
    server.control.halfOpen('freeze');
    await core.handlers['messages:send']({ conversationId: seed.conversations.direct, text: 'slow ack' });
    await vi.waitFor(async () => {
      const text = await core.metricsSnapshot();
      expect(sampleValue(text, 'message_queue_depth', { queue_type: 'sending' })).toBe(1);
      expect(sampleValue(text, 'outbox_oldest_pending_age_seconds')).toBeGreaterThan(0);
    });

    const port = core.metricsPort();
    if (port === null) throw new Error('the metrics endpoint did not start');
    const answer = await request(port);
    expect(answer.status).toBe(200);
    server.control.halfOpen('off');
    const families = familyNames(answer.body).filter(isApplicationFamily);
    const moved = movedFamilies(answer.body, await new Metrics({ appInfo, defaultMetrics: false }).snapshot());
    const still = families.filter((family) => !moved.includes(family));
    console.log(`metrics: ${moved.length} of ${families.length} application families moved on a live core`);
    console.log(`  moved: ${moved.join(', ')}`);
    console.log(`  not moved: ${still.join(', ')}`);

    expect(moved).toEqual(expect.arrayContaining(MOVED_BY_DELIVERY_CORE_AND_DIAGNOSTICS));
    expect(MOVED_BY_DELIVERY_CORE_AND_DIAGNOSTICS).toHaveLength(25);
    expect(moved.length).toBeGreaterThanOrEqual(25);
    // Nothing identifying went into a label: no user id, conversation id, e-mail or text.
    const identifying = [seed.users.alice, seed.users.bob, seed.conversations.team, seed.conversations.direct, 'alice@', 'hello team', 'from bob'];
    for (const needle of identifying) expect(answer.body).not.toContain(needle);
  });
});

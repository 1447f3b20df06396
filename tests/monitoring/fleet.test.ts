/**
 * Fleet metrics end to end: a real Prometheus with its remote-write receiver on, two cores
 * configured by their organisation file to push to it every second, PromQL over both installs,
 * and the fleet alert rule loaded and evaluated by that Prometheus. Bounded: every wait gives up
 * after DEADLINE_MS with Prometheus's log.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../../src/main/core/testing';
import { makeTempDir, makeTestCore } from '../support/core';
import { RULES_DIR } from './files';
import { startPrometheus, type PrometheusProcess } from './prometheus-process';

const FLEET_RULES = path.join(RULES_DIR, 'nova-desktop-fleet.rules.yml');
const ALLOWED_LABELS = new Set(['__name__', 'job', 'install', 'state', 'reason', 'le', 'queue_type', 'error_type', 'version', 'electron', 'chrome']);

describe('fleet metrics pushed to a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  const cores: Array<{ core: TestCore; cleanup: () => Promise<void>; installId: string }> = [];

  async function values(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const answer = await prometheus.query(expr);
    if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error ?? 'query failed'}`);
    return answer.data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
  }

  beforeAll(async () => {
    prometheus = await startPrometheus(
      () => yaml.dump({ global: { evaluation_interval: '1s' }, rule_files: [FLEET_RULES], scrape_configs: [] }),
      ['--web.enable-remote-write-receiver'],
    );
    for (const name of ['a', 'b']) {
      const dataDir = makeTempDir(`nova-fleet-${name}-`);
      fs.writeFileSync(
        path.join(dataDir, 'organization.json'),
        JSON.stringify({ fleetMetrics: { url: `${prometheus.base}/api/v1/write`, enabled: true, intervalMs: 1_000 } }),
      );
      const { core, cleanup } = makeTestCore({ dataDir, appInfo: { name: 'Nova', version: '2.0.0', electron: null, chrome: null } });
      await core.start();
      const { installId } = await core.handlers['fleet:status']({});
      if (installId === null) throw new Error('no install id');
      cores.push({ core, cleanup, installId });
    }
    // Something to see: install b reconnects after losing its link, a's outbox holds a message.
    cores[1]?.core.metrics.reconnect('connection_lost', 1_000);
    cores[0]?.core.metrics.outboxDepth({ saved: 2 });
  }, 40_000);

  afterAll(async () => {
    for (const { cleanup } of cores) await cleanup();
    await prometheus?.stop();
  }, 20_000);

  it('stores both installs’ series, queryable with PromQL', async () => {
    const installs = await prometheus.until('both installs to have pushed', async () => {
      const found = await values('count by (install) (nova_desktop_info{job="nova_desktop_fleet"})');
      return found.length === 2 ? found.map((sample) => sample.metric['install']).sort() : undefined;
    });
    expect(installs).toEqual(cores.map((entry) => entry.installId).sort());

    const [a, b] = cores;
    if (!a || !b) throw new Error('two cores expected');
    await prometheus.until('b’s reconnect and a’s outbox', async () => {
      const reconnects = await values(`ws_reconnections_total{job="nova_desktop_fleet", install="${b.installId}", reason="connection_lost"}`);
      const depth = await values(`message_queue_depth{job="nova_desktop_fleet", install="${a.installId}", queue_type="saved"}`);
      return reconnects[0]?.value === 1 && depth[0]?.value === 2 ? true : undefined;
    });
    expect(await values('sum(ws_connection_state{job="nova_desktop_fleet", state="CLOSED"})')).toEqual([{ metric: {}, value: 2 }]);
    expect(await values('count(nova_desktop_info{job="nova_desktop_fleet", version="2.0.0"})')).toEqual([{ metric: {}, value: 2 }]);
    const buckets = await values('count(ws_heartbeat_rtt_seconds_bucket{job="nova_desktop_fleet"})');
    expect(buckets[0]?.value).toBe(2 * 12);

    // Nothing but closed-list labels: no user, conversation or message ids anywhere.
    const series = await prometheus.api<Array<Record<string, string>>>(`/api/v1/series?match[]=${encodeURIComponent('{job="nova_desktop_fleet"}')}`);
    expect(series.data.length).toBeGreaterThan(20);
    const labelNames = new Set(series.data.flatMap((labels) => Object.keys(labels)));
    expect([...labelNames].filter((name) => !ALLOWED_LABELS.has(name))).toEqual([]);

    const status = await a.core.handlers['fleet:status']({});
    expect(status).toMatchObject({ enabled: true, decidedBy: 'organization', lastError: null, bufferedPushes: 0 });
    expect(status.lastPushAt).not.toBeNull();
  }, 45_000);

  it('loads and evaluates the fleet alert rule', async () => {
    const rules = await prometheus.until('the fleet rule to be evaluated', async () => {
      const answer = await prometheus.api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }>('/api/v1/rules?type=alert');
      const loaded = answer.data.groups.flatMap((group) => group.rules);
      return loaded.length > 0 && loaded.every((rule) => rule.health !== 'unknown') ? loaded : undefined;
    });
    expect(rules.map((rule) => [rule.name, rule.health, rule.lastError ?? ''])).toEqual([['NovaFleetReconnectStorm', 'ok', '']]);
  }, 30_000);
});

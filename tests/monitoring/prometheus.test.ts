/**
 * A real Prometheus scrapes a real core: the `prometheus` binary on a loopback port, with a
 * config generated from monitoring/prometheus/prometheus.yml (1 s scrape interval, the running
 * core's metrics port as target, the real rule files). Queries go through its HTTP API.
 */
import path from 'node:path';
import fs from 'node:fs';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../../src/main/core/testing';
import { makeTestCore } from '../support/core';
import { PROMETHEUS_CONFIG, RULES_DIR, alertRules, dashboardExpressions, readYaml, substituteGrafanaVariables } from './files';
import { startPrometheus, type PrometheusProcess } from './prometheus-process';

type ScrapeConfig = { job_name: string; scrape_interval?: string; static_configs: Array<{ targets: string[] }> };

/** The repo's prometheus.yml, pointed at this test's core and made fast (the self-scrape once the port is known). */
function testConfig(corePort: number, prometheusPort: number | null): string {
  const config = readYaml(PROMETHEUS_CONFIG) as {
    global: Record<string, unknown>;
    alerting?: unknown;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' };
  delete config.alerting; // no Alertmanager here
  config.rule_files = config.rule_files.map((pattern) => path.join(path.dirname(PROMETHEUS_CONFIG), pattern));
  const targets: Record<string, string> = { nova_desktop: `127.0.0.1:${corePort}`, prometheus: `127.0.0.1:${prometheusPort ?? corePort}` };
  for (const scrape of config.scrape_configs) {
    const target = targets[scrape.job_name];
    if (!target) throw new Error(`unexpected job ${scrape.job_name} in prometheus.yml`);
    scrape.static_configs = [{ targets: [target] }];
  }
  return yaml.dump(config);
}

describe('a real Prometheus scraping a running core', () => {
  let core: TestCore;
  let cleanupCore: () => Promise<void>;
  let prometheus: PrometheusProcess | null = null;

  const api = <T>(pathAndQuery: string) => (prometheus as PrometheusProcess).api<T>(pathAndQuery);
  const query = (expr: string) => (prometheus as PrometheusProcess).query(expr);
  const until = <T>(what: string, check: () => Promise<T | undefined>) => (prometheus as PrometheusProcess).until(what, check);

  async function valueOf(expr: string): Promise<number | undefined> {
    const answer = await query(expr);
    const sample = answer.data.result[0];
    return sample ? Number(sample.value[1]) : undefined;
  }

  beforeAll(async () => {
    ({ core, cleanup: cleanupCore } = makeTestCore({ metricsPort: 0 }));
    await core.start();
    const corePort = core.metricsPort();
    if (corePort === null) throw new Error('the core did not open its metrics endpoint');
    for (let call = 0; call < 3; call += 1) await core.handlers['auth:status']({});
    core.notifySystem('offline');

    prometheus = await startPrometheus((port) => testConfig(corePort, port));

    await until('the nova_desktop target to be up', async () => {
      const answer = await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>(
        '/api/v1/targets?state=active',
      );
      const target = answer.data.activeTargets.find((candidate) => candidate.labels['job'] === 'nova_desktop');
      return target?.health === 'up' ? target : undefined;
    });
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await cleanupCore?.();
  }, 20_000);

  it('stores the client metrics it scraped, and sees them move', async () => {
    expect(await valueOf('up{job="nova_desktop"}')).toBe(1);
    expect(await valueOf('ipc_requests_total{job="nova_desktop", channel="auth:status", result="ok"}')).toBe(3);
    expect(await valueOf('os_online{job="nova_desktop"}')).toBe(0);
    expect(await valueOf('ws_connection_state{job="nova_desktop", state="CLOSED"}')).toBe(1);

    await core.handlers['auth:status']({});
    await core.handlers['auth:status']({});
    await until('the next scrape to show 5 calls', async () =>
      (await valueOf('ipc_requests_total{job="nova_desktop", channel="auth:status", result="ok"}')) === 5 ? true : undefined,
    );
    const scrapes = await valueOf('metrics_scrapes_total{job="nova_desktop", via="http"}');
    expect(scrapes).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('loads and evaluates every alert rule from the repo without errors', async () => {
    const expected = alertRules().map((rule) => rule.alert).sort();
    const rules = await until('every rule to be evaluated', async () => {
      const answer = await api<{ groups: Array<{ file: string; rules: Array<{ name: string; health: string; lastError?: string }> }> }>(
        '/api/v1/rules?type=alert',
      );
      const loaded = answer.data.groups.flatMap((group) => group.rules);
      return loaded.length === expected.length && loaded.every((rule) => rule.health !== 'unknown') ? loaded : undefined;
    });
    expect(rules.map((rule) => rule.name).sort()).toEqual(expected);
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
    expect(fs.readdirSync(RULES_DIR).length).toBeGreaterThan(0);
  }, 30_000);

  it('accepts every dashboard query', async () => {
    const rejected: Array<{ panel: string; error: string }> = [];
    for (const { panel, expr } of dashboardExpressions()) {
      const answer = await query(substituteGrafanaVariables(expr));
      if (answer.status !== 'success') rejected.push({ panel, error: answer.error ?? 'unknown' });
    }
    expect(rejected).toEqual([]);
    expect(await valueOf('max(core_uptime_seconds{job="nova_desktop"})')).toBeGreaterThan(0);
  }, 30_000);
});

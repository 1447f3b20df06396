/**
 * A real Prometheus scrapes a real core: the `prometheus` binary on a free loopback port, with a
 * config generated from monitoring/prometheus/prometheus.yml (1 s scrape interval, the running
 * core's metrics port as target, the real rule files). Queries go through its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCore } from '../../src/main/core/testing';
import { makeTempDir, makeTestCore } from '../support/core';
import { PROMETHEUS_CONFIG, RULES_DIR, alertRules, dashboardExpressions, readYaml, substituteGrafanaVariables } from './files';

const DEADLINE_MS = 20_000;
const POLL_MS = 200;

function requirePrometheus(): void {
  const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'The real-Prometheus test needs the `prometheus` binary on the PATH (Debian package "prometheus"; .ci/run installs it). ' +
        `Probe failed: ${probe.error?.message ?? probe.stderr}`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type ScrapeConfig = { job_name: string; scrape_interval?: string; static_configs: Array<{ targets: string[] }> };

/** The repo's prometheus.yml, pointed at this test's core and made fast. */
function testConfig(corePort: number, prometheusPort: number): string {
  const config = readYaml(PROMETHEUS_CONFIG) as {
    global: Record<string, unknown>;
    alerting?: unknown;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global = { ...config.global, scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' };
  delete config.alerting; // no Alertmanager here
  config.rule_files = config.rule_files.map((pattern) => path.join(path.dirname(PROMETHEUS_CONFIG), pattern));
  const targets: Record<string, string> = { nova_desktop: `127.0.0.1:${corePort}`, prometheus: `127.0.0.1:${prometheusPort}` };
  for (const scrape of config.scrape_configs) {
    const target = targets[scrape.job_name];
    if (!target) throw new Error(`unexpected job ${scrape.job_name} in prometheus.yml`);
    scrape.static_configs = [{ targets: [target] }];
  }
  return yaml.dump(config);
}

type ApiAnswer<T> = { status: 'success' | 'error'; data: T; error?: string };
type Vector = { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };

describe('a real Prometheus scraping a running core', () => {
  let core: TestCore;
  let cleanupCore: () => Promise<void>;
  let prometheus: ChildProcess | null = null;
  let prometheusLog = '';
  let workDir = '';
  let base = '';

  async function api<T>(pathAndQuery: string): Promise<ApiAnswer<T>> {
    const response = await fetch(`${base}${pathAndQuery}`);
    return (await response.json()) as ApiAnswer<T>;
  }

  function query(expr: string): Promise<ApiAnswer<Vector>> {
    return api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  }

  /** Polls until `check` returns a value, failing at the deadline with what Prometheus said. */
  async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited (${prometheus?.exitCode}):\n${prometheusLog}`);
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error; // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}; last error: ${String(lastError)}\n${prometheusLog}`);
  }

  async function valueOf(expr: string): Promise<number | undefined> {
    const answer = await query(expr);
    const sample = answer.data.result[0];
    return sample ? Number(sample.value[1]) : undefined;
  }

  beforeAll(async () => {
    requirePrometheus();
    ({ core, cleanup: cleanupCore } = makeTestCore({ metricsPort: 0 }));
    await core.start();
    const corePort = core.metricsPort();
    if (corePort === null) throw new Error('the core did not open its metrics endpoint');
    for (let call = 0; call < 3; call += 1) await core.handlers['auth:status']({});
    core.notifySystem('offline');

    workDir = makeTempDir('nova-prometheus-');
    const prometheusPort = await freePort();
    base = `http://127.0.0.1:${prometheusPort}`;
    const configFile = path.join(workDir, 'prometheus.yml');
    fs.writeFileSync(configFile, testConfig(corePort, prometheusPort));
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.setEncoding('utf8');
    prometheus.stderr?.on('data', (chunk: string) => (prometheusLog = (prometheusLog + chunk).slice(-4_000)));

    await until('the nova_desktop target to be up', async () => {
      const answer = await api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>(
        '/api/v1/targets?state=active',
      );
      const target = answer.data.activeTargets.find((candidate) => candidate.labels['job'] === 'nova_desktop');
      return target?.health === 'up' ? target : undefined;
    });
  }, 40_000);

  afterAll(async () => {
    const child = prometheus;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanupCore?.();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
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

/**
 * The monitoring files agree with the code and with each other: every metric they read exists,
 * every alert links a runbook section that exists, and every path the compose file mounts is
 * a file in the repo at the place the configs expect it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/main/core/metrics';
import {
  ALERTMANAGER_CONFIG,
  COMPOSE,
  MONITORING,
  MONITORING_DOC,
  PROMETHEUS_CONFIG,
  ROOT,
  alertRules,
  dashboard,
  dashboardExpressions,
  readYaml,
} from './files';
import { metricNames } from './promql';

/** Series Prometheus makes itself rather than scraping them. */
const PROMETHEUS_SERIES = new Set(['up']);

function registryNames(): Set<string> {
  const names = new Set<string>(PROMETHEUS_SERIES);
  for (const metric of new Metrics().registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) =>
      (match[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'),
    ),
  );
}

describe('metric names in the monitoring files', () => {
  it('reads names out of PromQL and nothing else', () => {
    expect(
      metricNames('histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{job="x", le!="1e3"}[5m]))) > 5 and on (job) b_total offset 5m'),
    ).toEqual(['a_bucket', 'b_total']);
    expect(metricNames('sum(increase(c_total{x=~"$instance"}[$__rate_interval])) / ignoring(le) d:ratio')).toEqual(['c_total', 'd:ratio']);
  });

  it('every metric the alert rules read exists in the registry', () => {
    const known = registryNames();
    const used = alertRules().flatMap((rule) => metricNames(rule.expr).map((name) => ({ alert: rule.alert, name })));
    expect(used.length).toBeGreaterThanOrEqual(9);
    expect(used.map(({ name }) => name)).toContain('message_send_ack_seconds_bucket');
    expect(used.filter(({ name }) => !known.has(name))).toEqual([]);
  });

  it('every metric the dashboard reads exists in the registry', () => {
    const known = registryNames();
    const used = dashboardExpressions().flatMap(({ panel, expr }) => metricNames(expr).map((name) => ({ panel, name })));
    expect(used.length).toBeGreaterThanOrEqual(15);
    expect(used.filter(({ name }) => !known.has(name))).toEqual([]);
  });
});

describe('alert rules', () => {
  const doc = fs.readFileSync(MONITORING_DOC, 'utf8');

  it('cover the client health cases the issue names', () => {
    const used = new Set(alertRules().flatMap((rule) => metricNames(rule.expr)));
    for (const name of [
      'message_queue_depth',
      'outbox_oldest_pending_age_seconds',
      'messages_sent_total',
      'ws_reconnections_total',
      'ws_errors_total',
      'message_send_ack_seconds_bucket',
      'ws_connection_state',
    ]) {
      expect(used).toContain(name);
    }
  });

  it('each has a for, a severity, and a summary naming a runbook section that exists', () => {
    const sections = anchors(doc);
    const problems = alertRules().flatMap((rule) => {
      const runbook = rule.annotations?.['runbook_url'] ?? '';
      const anchor = /^docs\/monitoring\.md#(.+)$/.exec(runbook)?.[1] ?? '';
      return [
        !rule.for && `${rule.alert}: no for`,
        !['info', 'warning', 'critical'].includes(rule.labels?.['severity'] ?? '') && `${rule.alert}: bad severity`,
        !anchor && `${rule.alert}: runbook_url ${runbook} is not docs/monitoring.md#…`,
        !sections.has(anchor) && `${rule.alert}: no section #${anchor} in docs/monitoring.md`,
        !(rule.annotations?.['summary'] ?? '').includes(runbook) && `${rule.alert}: summary does not name ${runbook}`,
      ].filter(Boolean);
    });
    expect(problems).toEqual([]);
  });

  it('take quantiles only over rate() of buckets', () => {
    const quantiles = [...alertRules().map((rule) => rule.expr), ...dashboardExpressions().map(({ expr }) => expr)].filter((expr) =>
      expr.includes('histogram_quantile'),
    );
    expect(quantiles.length).toBeGreaterThan(0);
    for (const expr of quantiles) expect(expr).toMatch(/histogram_quantile\([\d.]+,\s*sum by \([^)]*\ble\b[^)]*\) \(rate\(\w+_bucket\{/);
  });
});

describe('Alertmanager routing', () => {
  function receiversFor(labels: string[]): string {
    const result = spawnSync('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, ...labels], { encoding: 'utf8' });
    if (result.error) throw new Error(`amtool is not on PATH (install Debian's prometheus-alertmanager; .ci/run does): ${result.error.message}`);
    return result.stdout.trim();
  }

  it('pages and posts critical alerts, posts warnings, and keeps info quiet', () => {
    expect(receiversFor(['severity=critical', 'alertname=NovaConnectionStuckInError'])).toBe('pagerduty-critical,slack-alerts');
    expect(receiversFor(['severity=warning', 'alertname=NovaOutboxBacklog'])).toBe('slack-alerts');
    expect(receiversFor(['severity=info', 'alertname=NovaMetricsEndpointDown'])).toBe('info-only');
  });

  it('reads receiver secrets from files, never inline', () => {
    const text = fs.readFileSync(ALERTMANAGER_CONFIG, 'utf8');
    expect(text).toMatch(/routing_key_file:/);
    expect(text).toMatch(/api_url_file:/);
    expect(text).not.toMatch(/^\s*(api_url|routing_key|service_key):/m);
    expect(text).not.toMatch(/\$\{/);
  });
});

describe('docker-compose.monitoring.yml', () => {
  type Service = { command?: string[]; volumes?: string[]; environment?: Record<string, string> };
  const compose = readYaml(COMPOSE) as { services: Record<string, Service> };

  /** Container path → host path, for bind mounts of repo files. */
  function mounts(service: Service): Map<string, string> {
    const map = new Map<string, string>();
    for (const volume of service.volumes ?? []) {
      const [source = '', target = ''] = volume.split(':');
      if (source.startsWith('./')) map.set(target, path.join(ROOT, source));
    }
    return map;
  }

  /** Where a container path lives in the repo, through the mounts; null if it is not mounted. */
  function hostPath(service: Service, containerPath: string): string | null {
    for (const [target, source] of mounts(service)) {
      if (containerPath === target) return source;
      if (containerPath.startsWith(`${target}/`)) return path.join(source, containerPath.slice(target.length + 1));
    }
    return null;
  }

  function flag(service: Service, name: string): string {
    const found = (service.command ?? []).find((argument) => argument.startsWith(`--${name}=`));
    return found?.slice(name.length + 3) ?? '';
  }

  it('mounts only paths that exist in the repo', () => {
    const missing = Object.entries(compose.services).flatMap(([name, service]) =>
      [...mounts(service).values()].filter((source) => !fs.existsSync(source)).map((source) => `${name}: ${source}`),
    );
    expect(missing).toEqual([]);
  });

  it('points each service at the config files of this folder', () => {
    const { prometheus, alertmanager, grafana } = compose.services;
    if (!prometheus || !alertmanager || !grafana) throw new Error('prometheus, alertmanager and grafana services expected');
    expect(hostPath(prometheus, flag(prometheus, 'config.file'))).toBe(PROMETHEUS_CONFIG);
    expect(hostPath(alertmanager, flag(alertmanager, 'config.file'))).toBe(ALERTMANAGER_CONFIG);

    // The secret files Alertmanager reads sit in a mounted (git-ignored) folder.
    const secretPaths = [...fs.readFileSync(ALERTMANAGER_CONFIG, 'utf8').matchAll(/_file:\s*(\S+)/g)].map((match) => match[1] ?? '');
    expect(secretPaths.length).toBe(2);
    for (const secret of secretPaths) expect(hostPath(alertmanager, secret)).toMatch(/monitoring\/alertmanager\/secrets\//);

    // Grafana's provisioning folder, and the dashboards folder its provider names.
    expect(hostPath(grafana, '/etc/grafana/provisioning')).toBe(path.join(MONITORING, 'grafana/provisioning'));
    const provider = readYaml(path.join(MONITORING, 'grafana/provisioning/dashboards/nova-desktop.yml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    const dashboards = hostPath(grafana, provider.providers[0]?.options.path ?? '');
    expect(dashboards && fs.readdirSync(dashboards)).toContain('nova-desktop.json');
    expect(hostPath(grafana, grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '')).toBe(
      path.join(MONITORING, 'grafana/dashboards/nova-desktop.json'),
    );
  });

  it('wires the services to each other on loopback ports that match', () => {
    const { prometheus, alertmanager } = compose.services;
    if (!prometheus || !alertmanager) throw new Error('services expected');
    const config = readYaml(PROMETHEUS_CONFIG) as {
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual([flag(alertmanager, 'web.listen-address')]);
    const job = config.scrape_configs.find((scrape) => scrape.job_name === 'nova_desktop');
    expect(job?.static_configs[0]?.targets).toEqual(['127.0.0.1:9464']);
    const datasource = readYaml(path.join(MONITORING, 'grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(datasource.datasources[0]?.url).toBe(`http://${flag(prometheus, 'web.listen-address')}`);
    const uids = new Set(dashboard().panels.filter((panel) => panel.type !== 'row').map((panel) => (panel as { datasource?: { uid?: string } }).datasource?.uid));
    expect([...uids]).toEqual([datasource.datasources[0]?.uid]);
  });
});

describe('Grafana dashboard', () => {
  it('has the panels the issue asks for', () => {
    const titles = dashboard().panels.map((panel) => panel.title);
    for (const title of [
      'Connection state over time',
      'Outbox depth by state',
      'Oldest waiting message',
      'Send → ack latency',
      'Reconnects by reason',
      'Heartbeat round trip',
      'Delivery failures by error class',
    ]) {
      expect(titles).toContain(title);
    }
  });
});

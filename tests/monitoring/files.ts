/** The monitoring files, read and parsed the way Prometheus, Grafana and Docker read them. */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export const ROOT = path.resolve(__dirname, '../..');
export const MONITORING = path.join(ROOT, 'monitoring');
export const PROMETHEUS_CONFIG = path.join(MONITORING, 'prometheus/prometheus.yml');
export const RULES_DIR = path.join(MONITORING, 'prometheus/rules');
export const DASHBOARD = path.join(MONITORING, 'grafana/dashboards/nova-desktop.json');
export const ALERTMANAGER_CONFIG = path.join(MONITORING, 'alertmanager/alertmanager.yml');
export const COMPOSE = path.join(ROOT, 'docker-compose.monitoring.yml');
export const MONITORING_DOC = path.join(ROOT, 'docs/monitoring.md');

export function readYaml(file: string): unknown {
  return yaml.load(fs.readFileSync(file, 'utf8'));
}

export type AlertRule = Readonly<{
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}>;

export function ruleFiles(): string[] {
  return fs
    .readdirSync(RULES_DIR)
    .filter((name) => name.endsWith('.yml'))
    .map((name) => path.join(RULES_DIR, name));
}

export function alertRules(): AlertRule[] {
  return ruleFiles().flatMap((file) => {
    const parsed = readYaml(file) as { groups: Array<{ rules: Array<AlertRule & { record?: string }> }> };
    return parsed.groups.flatMap((group) => group.rules);
  });
}

export type DashboardPanel = Readonly<{ title: string; type: string; targets?: Array<{ expr: string }> }>;

export function dashboard(): { title: string; panels: DashboardPanel[] } {
  return JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { title: string; panels: DashboardPanel[] };
}

export function dashboardExpressions(): Array<{ panel: string; expr: string }> {
  return dashboard().panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
}

/** Grafana's variables, replaced the way Grafana would before the query reaches Prometheus. */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*');
}

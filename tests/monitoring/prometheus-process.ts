/**
 * A real `prometheus` for a test: its own temp storage, loopback only, port 0 (the port it got
 * is read from its log), stopped and removed by `stop()`. Queries go through its HTTP API, and
 * every wait is bounded, failing with what Prometheus said.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../support/core';

export const DEADLINE_MS = 20_000;
const POLL_MS = 200;

export type ApiAnswer<T> = { status: 'success' | 'error'; data: T; error?: string };
export type Vector = { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };

export type PrometheusProcess = Readonly<{
  base: string;
  workDir: string;
  api<T>(pathAndQuery: string): Promise<ApiAnswer<T>>;
  query(expr: string): Promise<ApiAnswer<Vector>>;
  /** Polls until `check` returns a value, failing at the deadline with Prometheus's log. */
  until<T>(what: string, check: () => Promise<T | undefined>): Promise<T>;
  stop(): Promise<void>;
}>;

export function requirePrometheus(): void {
  const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'The real-Prometheus tests need the `prometheus` binary on the PATH (Debian package "prometheus"; .ci/run installs it). ' +
        `Probe failed: ${probe.error?.message ?? probe.stderr}`,
    );
  }
}

/**
 * Starts Prometheus with `config` (YAML text; `{{port}}` is replaced by its own port once known,
 * so a self-scrape can be configured before the port exists) and waits until it is ready.
 */
export async function startPrometheus(config: (port: number | null) => string, extraFlags: readonly string[] = []): Promise<PrometheusProcess> {
  requirePrometheus();
  const workDir = makeTempDir('nova-prometheus-');
  const configFile = path.join(workDir, 'prometheus.yml');
  fs.writeFileSync(configFile, config(null));
  let log = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      '--web.listen-address=127.0.0.1:0',
      '--web.enable-lifecycle',
      '--log.level=info',
      ...extraFlags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8');
  const portFound = new Promise<number>((resolve) => {
    child.stderr?.on('data', (chunk: string) => {
      log = (log + chunk).slice(-8_000);
      const match = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log);
      if (match) resolve(Number(match[1]));
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };

  async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error; // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}; last error: ${String(lastError)}\n${log}`);
  }

  try {
    const port = await Promise.race([
      portFound,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`prometheus did not report its port within ${DEADLINE_MS} ms:\n${log}`)), DEADLINE_MS)),
    ]);
    const base = `http://127.0.0.1:${port}`;
    const api = async <T>(pathAndQuery: string): Promise<ApiAnswer<T>> => (await (await fetch(`${base}${pathAndQuery}`)).json()) as ApiAnswer<T>;
    // The self-scrape target, now that the port is known.
    fs.writeFileSync(configFile, config(port));
    await until('Prometheus to be ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
    const reloaded = await fetch(`${base}/-/reload`, { method: 'POST' });
    if (!reloaded.ok) throw new Error(`prometheus refused its config: ${await reloaded.text()}\n${log}`);
    return {
      base,
      workDir,
      api,
      query: (expr) => api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
      until,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The connection doctor: checks, layer by layer, everything the app needs to reach its server,
 * and says in plain words what failed, why it probably did, and what to try next. This file runs
 * the steps (`reach.ts`, `live.ts`) in order and keeps the report: each step's start and end is
 * reported as it happens; a step that cannot mean anything after an earlier failure is skipped
 * with the reason rather than left to time out too.
 */
import { performance } from 'node:perf_hooks';
import type { DoctorReport, DoctorStep, DoctorStepId } from '../../../shared/support';
import { isLoopbackHost } from '../metrics';
import { liveSteps } from './live';
import { reachSteps } from './reach';
import { lookupFrom } from './resolver';
import type { DoctorInput, Facts, StepContext, Steps, Verdict } from './step';

export type { DoctorInput } from './step';

const TITLES: Readonly<Record<DoctorStepId, string>> = {
  network: 'Network on this computer',
  dns: 'Find the server (DNS)',
  tcp: 'Reach the server',
  tls: 'Secure connection (TLS)',
  health: 'Server health',
  websocket: 'Open the live connection',
  handshake: 'Protocol handshake',
  ping: 'Round trip',
  clock: 'Clock',
  token: 'Sign-in',
};

const ORDER: readonly DoctorStepId[] = ['network', 'dns', 'tcp', 'tls', 'health', 'websocket', 'handshake', 'ping', 'clock', 'token'];

/** Runs every step in order, publishing the whole report as each starts and ends. */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const url = new URL(input.serverUrl);
  const isHttps = url.protocol === 'https:';
  const facts: Facts = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
    isHttps,
    addresses: [],
    unreachable: null,
    secureFailed: false,
    health: null,
    socket: null,
    socketRefusal: null,
    features: null,
  };
  const lookup = lookupFrom(input.resolver);
  // url.hostname keeps an IPv6 address in brackets, as the loopback check expects.
  const isLoopback = isLoopbackHost(url.hostname);
  const timeout = input.stepTimeoutMs;
  const report: { -readonly [K in keyof DoctorReport]: DoctorReport[K] } = {
    runId: input.runId,
    serverUrl: `${url.protocol}//${url.host}`,
    startedAt: input.now(),
    finishedAt: null,
    outcome: 'running',
    summary: 'Checking…',
    steps: ORDER.map((id) => ({ id, title: TITLES[id], status: 'pending', summary: 'Waiting', details: [], cause: null, nextStep: null, durationMs: null })),
  };
  const publish = (): void => input.onUpdate(structuredClone(report));
  const setStep = (id: DoctorStepId, step: Partial<DoctorStep>): void => {
    report.steps = report.steps.map((current) => (current.id === id ? { ...current, ...step } : current));
    publish();
  };

  const context: StepContext = { input, facts, lookup, isLoopback, timeout };
  const steps: Steps = { ...reachSteps(context), ...liveSteps(context) };

  for (const id of ORDER) {
    setStep(id, { status: 'running', summary: 'Checking…' });
    const started = performance.now();
    let verdict: Verdict;
    try {
      verdict = await steps[id]();
    } catch (error) {
      verdict = { status: 'fail', summary: `The check itself failed: ${error instanceof Error ? error.message : String(error)}.`, nextStep: 'Run it again; if it repeats, send a diagnostics bundle.' };
    }
    setStep(id, {
      status: verdict.status,
      summary: verdict.summary,
      details: verdict.details ?? [],
      cause: verdict.cause ?? null,
      nextStep: verdict.nextStep ?? null,
      durationMs: verdict.status === 'skip' ? null : Math.round(performance.now() - started),
    });
  }
  facts.socket?.socket.terminate();

  const failed = report.steps.find((step) => step.status === 'fail');
  const warned = report.steps.filter((step) => step.status === 'warn');
  report.outcome = failed ? 'fail' : warned.length > 0 ? 'warn' : 'pass';
  report.summary = failed
    ? `Problem found at “${failed.title}”: ${failed.summary}`
    : warned.length > 0
      ? `Nova can reach the server, with ${warned.length} warning${warned.length === 1 ? '' : 's'}.`
      : 'Everything checked out: Nova can reach the server.';
  report.finishedAt = input.now();
  publish();
  return structuredClone(report);
}

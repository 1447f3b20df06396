/**
 * What a step of the connection doctor is: what it is given, what the steps before it learned,
 * and the verdict it returns. The steps themselves are in `reach.ts` (network to /health) and
 * `live.ts` (the live connection, the clock and the sign-in); `run.ts` runs them in order.
 */
import type os from 'node:os';
import type { DoctorReport, DoctorStepId } from '../../../shared/support';
import type { lookupFrom, ResolvedAddress, Resolver } from './resolver';
import { ProbeError, type HttpFacts, type OpenedSocket, type UpgradeRefused } from './probes';

export type DoctorInput = Readonly<{
  runId: string;
  serverUrl: string;
  resolver: Resolver;
  /** The app's clock: token expiry and clock skew are judged by what the app believes. */
  now: () => number;
  stepTimeoutMs: number;
  handshakeWaitMs: number;
  /** Sign-in renewal starts this long before expiry; a clock off by more risks refused renewals. */
  tokenRefreshMarginMs: number;
  isOsOffline: () => boolean;
  accessToken: () => string | null;
  networkInterfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  onUpdate: (report: DoctorReport) => void;
}>;

export type Verdict = Readonly<{
  status: 'pass' | 'warn' | 'fail' | 'skip';
  summary: string;
  details?: string[];
  cause?: string;
  nextStep?: string;
}>;

/** The steps by id; each returns its verdict (a step that throws has failed). */
export type Steps = Record<DoctorStepId, () => Promise<Verdict>>;

/** What the steps learn and hand on. */
export type Facts = {
  host: string;
  port: number;
  isHttps: boolean;
  addresses: ResolvedAddress[];
  /** Set when the server cannot be reached: later network steps are skipped with this reason. */
  unreachable: string | null;
  secureFailed: boolean;
  health: HttpFacts | null;
  socket: OpenedSocket | null;
  socketRefusal: UpgradeRefused | null;
  features: string[] | null;
};

/** What every step reads: the run's input, the facts so far, and the run's fixed choices. */
export type StepContext = Readonly<{
  input: DoctorInput;
  facts: Facts;
  /** The resolver as net, tls, http and ws take it, so every probe resolves names the same way. */
  lookup: ReturnType<typeof lookupFrom>;
  /** The server runs on this computer: no adapter is needed, plain http is expected. */
  isLoopback: boolean;
  /** Each network step gives up after this. */
  timeout: number;
}>;

export function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 90_000) return `${Math.round(abs / 1_000)} s`;
  if (abs < 90 * 60_000) return `${Math.round(abs / 60_000)} min`;
  if (abs < 48 * 3_600_000) return `${Math.round(abs / 3_600_000)} h`;
  return `${Math.round(abs / 86_400_000)} days`;
}

export function codeOf(error: unknown): string {
  if (error instanceof ProbeError) return error.code;
  return (error as NodeJS.ErrnoException | null)?.code ?? 'ERROR';
}

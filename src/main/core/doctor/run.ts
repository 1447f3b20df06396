/**
 * The connection doctor: checks, layer by layer, everything the app needs to reach its server,
 * and says in plain words what failed, why it probably did, and what to try next. Each step's
 * start and end is reported as it happens; a step that cannot mean anything after an earlier
 * failure is skipped with the reason rather than left to time out too.
 */
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '../../../shared/protocol';
import type { DoctorReport, DoctorStep, DoctorStepId } from '../../../shared/support';
import { readClaims } from '../auth/jwt';
import { isLoopbackHost } from '../metrics';
import { lookupFrom, type ResolvedAddress, type Resolver } from './resolver';
import {
  ProbeError,
  UpgradeRefused,
  httpGet,
  openWebSocket,
  pingRoundTrip,
  tcpConnect,
  tlsProbe,
  type HttpFacts,
  type OpenedSocket,
} from './probes';

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

type Verdict = Readonly<{
  status: 'pass' | 'warn' | 'fail' | 'skip';
  summary: string;
  details?: string[];
  cause?: string;
  nextStep?: string;
}>;

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
const CERT_WARN_DAYS = 14;
const SLOW_RTT_MS = 1_000;
const CLOCK_FAIL_MS = 5 * 60_000;

function seconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 90_000) return `${Math.round(abs / 1_000)} s`;
  if (abs < 90 * 60_000) return `${Math.round(abs / 60_000)} min`;
  if (abs < 48 * 3_600_000) return `${Math.round(abs / 3_600_000)} h`;
  return `${Math.round(abs / 86_400_000)} days`;
}

function codeOf(error: unknown): string {
  if (error instanceof ProbeError) return error.code;
  return (error as NodeJS.ErrnoException | null)?.code ?? 'ERROR';
}

/** What the steps learn and hand on. */
type Facts = {
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

  const steps: Record<DoctorStepId, () => Promise<Verdict>> = {
    async network() {
      if (input.isOsOffline()) {
        return {
          status: 'fail',
          summary: 'This computer reports that it is offline.',
          cause: 'No network connection: Wi-Fi is off or not joined, the cable is out, or airplane mode is on.',
          nextStep: 'Connect to a network, then run this check again.',
        };
      }
      const interfaces = (input.networkInterfaces ?? os.networkInterfaces)();
      const up = Object.entries(interfaces)
        .filter(([, list]) => (list ?? []).some((entry) => !entry.internal))
        .map(([name]) => name);
      if (up.length === 0 && !isLoopback) {
        return {
          status: 'fail',
          summary: 'No network adapter is connected.',
          cause: 'Only this computer itself is reachable: no Wi-Fi, cable or VPN adapter has an address.',
          nextStep: 'Connect to a network, then run this check again.',
        };
      }
      return { status: 'pass', summary: up.length > 0 ? `Online (${up.length} network adapter${up.length === 1 ? '' : 's'} up).` : 'Online (the server is on this computer).', details: up.map((name) => `adapter ${name}`) };
    },

    async dns() {
      if (net.isIP(facts.host) !== 0) {
        facts.addresses = [{ address: facts.host, family: net.isIPv6(facts.host) ? 6 : 4 }];
        return { status: 'pass', summary: `The server address is a number (${facts.host}): no name to look up.` };
      }
      try {
        const found = await Promise.race([
          input.resolver(facts.host),
          new Promise<never>((_resolve, reject) => setTimeout(() => reject(new ProbeError('TIMEOUT', 'no answer')), timeout).unref()),
        ]);
        if (found.length === 0) throw new ProbeError('ENOTFOUND', 'no addresses');
        facts.addresses = found;
        return { status: 'pass', summary: `${facts.host} is at ${found.map((a) => a.address).join(', ')}.` };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server could not be found';
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          return {
            status: 'fail',
            summary: `The name ${facts.host} could not be found (${code}).`,
            cause: 'A typo in the server address, a DNS server that does not know the name, or a network that hides it until you sign in to it or connect a VPN.',
            nextStep: 'Check the server address; open any web page to see whether the network asks you to sign in; connect your organisation’s VPN if it has one.',
          };
        }
        return {
          status: 'fail',
          summary: `The name server did not answer for ${facts.host} (${code}).`,
          cause: 'DNS cannot be reached: the network is down, filtered, or very slow.',
          nextStep: 'Try again in a minute, or another network (a phone hotspot tells a network problem from a server problem).',
        };
      }
    },

    async tcp() {
      const target = facts.addresses[0];
      if (facts.unreachable !== null || !target) return { status: 'skip', summary: `Skipped: ${facts.unreachable ?? 'no address'}.` };
      const where = `${target.family === 6 ? `[${target.address}]` : target.address}:${facts.port}`;
      try {
        await tcpConnect(target.address, facts.port, timeout);
        return { status: 'pass', summary: `Connected to ${where}.` };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server could not be reached';
        if (code === 'ECONNREFUSED') {
          return {
            status: 'fail',
            summary: `Nothing answered on ${where} (connection refused).`,
            cause: 'The server is down, restarting, or the port in the server address is wrong.',
            nextStep: 'Wait a minute and check again; if it stays, ask your administrator whether the service is running and the address is right.',
          };
        }
        if (code === 'TIMEOUT') {
          return {
            status: 'fail',
            summary: `No answer from ${where} within ${seconds(timeout)}.`,
            cause: 'A firewall, proxy or VPN silently drops the connection, or the server cannot be reached from this network.',
            nextStep: `Try another network; ask your administrator whether port ${facts.port} is allowed from where you are.`,
          };
        }
        return {
          status: 'fail',
          summary: `The connection to ${where} failed (${code}).`,
          cause: code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'This network has no route to the server (a VPN that is needed but not connected?).' : 'The network refused or reset the connection.',
          nextStep: 'Connect the VPN if your organisation uses one, or try another network.',
        };
      }
    },

    async tls() {
      const target = facts.addresses[0];
      if (!facts.isHttps) {
        if (isLoopback) return { status: 'skip', summary: 'Not used: the server runs on this computer over plain http.' };
        return {
          status: 'warn',
          summary: 'The connection is not encrypted (the server address starts with http:).',
          cause: 'Anyone on the network path can read the traffic, sign-in included.',
          nextStep: 'Ask your administrator for the https address of the server.',
        };
      }
      if (facts.unreachable !== null || !target) return { status: 'skip', summary: `Skipped: ${facts.unreachable ?? 'no address'}.` };
      try {
        const tlsFacts = await tlsProbe(target.address, facts.port, facts.host, timeout);
        const left = tlsFacts.validTo - input.now();
        const details = [
          `subject ${tlsFacts.subject}`,
          `issuer ${tlsFacts.issuer}`,
          `valid until ${new Date(tlsFacts.validTo).toISOString()}`,
          ...(tlsFacts.protocol ? [`protocol ${tlsFacts.protocol}`] : []),
        ];
        if (left <= 0 || tlsFacts.chainError === 'CERT_HAS_EXPIRED') {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The server’s certificate expired ${span(left)} ago.`,
            details,
            cause: 'The server’s certificate was not renewed in time (or this computer’s date is far off).',
            nextStep: 'Check this computer’s date; if it is right, tell your administrator that the certificate expired.',
          };
        }
        if (tlsFacts.chainError !== null) {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The server’s certificate is not trusted by this computer (${tlsFacts.chainError}).`,
            details,
            cause: 'Something between you and the server presents its own certificate (a proxy that inspects traffic, a hotel or captive portal), or the server uses a certificate from an authority this computer does not know.',
            nextStep: 'Try another network; on a company network ask your administrator to install the company’s certificate authority.',
          };
        }
        if (tlsFacts.nameError !== null) {
          facts.secureFailed = true;
          return {
            status: 'fail',
            summary: `The certificate is not for ${facts.host}.`,
            details: [...details, tlsFacts.nameError],
            cause: 'A wrong server address, or a proxy or portal answering in the server’s place.',
            nextStep: 'Check the server address; try another network.',
          };
        }
        if (left < CERT_WARN_DAYS * 86_400_000) {
          return {
            status: 'warn',
            summary: `Secure, but the certificate expires in ${span(left)}.`,
            details,
            cause: 'The certificate is due for renewal.',
            nextStep: 'Nothing to do now; tell your administrator if it is not renewed soon.',
          };
        }
        return { status: 'pass', summary: `Secure (${tlsFacts.subject}, valid for ${span(left)}).`, details };
      } catch (error) {
        facts.secureFailed = true;
        const code = codeOf(error);
        return {
          status: 'fail',
          summary: code === 'TIMEOUT' ? `The secure handshake did not finish within ${seconds(timeout)}.` : `The secure handshake failed (${code}).`,
          cause: 'A proxy or firewall interferes with encrypted connections, or the server does not speak TLS on this port.',
          nextStep: 'Try another network; check that the server address uses the right port.',
        };
      }
    },

    async health() {
      if (facts.unreachable !== null) return { status: 'skip', summary: `Skipped: ${facts.unreachable}.` };
      if (facts.secureFailed) return { status: 'skip', summary: 'Skipped: the secure connection failed.' };
      try {
        const answer = await httpGet(new URL('/health', input.serverUrl).toString(), { lookup, timeoutMs: timeout, now: input.now });
        facts.health = answer;
        if (answer.status === 200) {
          let detail = 'it answered OK';
          try {
            const body = JSON.parse(answer.body) as { protocol_version?: unknown; mode?: unknown };
            if (typeof body.protocol_version === 'string') detail = `protocol ${body.protocol_version}, ${String(body.mode ?? 'nova-compat')}`;
          } catch {
            // an older Nova server answers plain text
          }
          return { status: 'pass', summary: `The server is up (${detail}).` };
        }
        if (answer.status === 401) return { status: 'pass', summary: 'The server is up (it asks for a sign-in even here, as older Nova servers do).' };
        const retryAfter = answer.headers['retry-after'];
        const details = typeof retryAfter === 'string' ? [`Retry-After: ${retryAfter} s`] : [];
        if (answer.status === 503) {
          return {
            status: 'fail',
            summary: 'The server says it is temporarily unavailable (503).',
            details,
            cause: 'Maintenance, a restart, or more load than it can take right now. Your computer and network are fine.',
            nextStep: 'Wait a few minutes: Nova keeps retrying by itself and sends your messages when the server is back.',
          };
        }
        if (answer.status >= 500) {
          return {
            status: 'fail',
            summary: `The server reported an error (${answer.status}).`,
            details,
            cause: 'A problem on the server or a gateway in front of it.',
            nextStep: 'Tell your administrator and attach this report (Help → Collect diagnostics).',
          };
        }
        return {
          status: 'fail',
          summary: `The address answers, but not like a Nova server (/health gave ${answer.status}).`,
          cause: 'A wrong server address, or a proxy or sign-in page answering instead of the server.',
          nextStep: 'Check the server address; open a web page to see whether the network wants you to sign in.',
        };
      } catch (error) {
        const code = codeOf(error);
        facts.unreachable = 'the server did not answer';
        return {
          status: 'fail',
          summary: code === 'TIMEOUT' ? `The server took the connection but did not answer within ${seconds(timeout)}.` : `The request failed (${code}).`,
          cause:
            code === 'TIMEOUT'
              ? 'Something on the way swallows the traffic (a firewall, proxy or broken VPN that lets connections open but passes no data), or the server is stuck.'
              : 'The connection was cut while talking to the server.',
          nextStep: 'Disconnect and reconnect the VPN, or try another network; if colleagues see the same, tell your administrator.',
        };
      }
    },

    async websocket() {
      if (facts.unreachable !== null) return { status: 'skip', summary: `Skipped: ${facts.unreachable}.` };
      if (facts.secureFailed) return { status: 'skip', summary: 'Skipped: the secure connection failed.' };
      const token = input.accessToken();
      if (token === null) return { status: 'skip', summary: 'Not signed in: sign in, then run this check again.' };
      const wsUrl = new URL('/ws', input.serverUrl.replace(/^http/, 'ws'));
      const userId = readClaims(token)?.sub;
      if (userId) wsUrl.searchParams.set('user_id', userId);
      wsUrl.searchParams.set('protocol_version', PROTOCOL_VERSION);
      try {
        facts.socket = await openWebSocket(wsUrl.toString(), { token, lookup, timeoutMs: timeout });
        return { status: 'pass', summary: 'The live connection opened with your current sign-in.' };
      } catch (error) {
        if (error instanceof UpgradeRefused) {
          facts.socketRefusal = error;
          return refusalVerdict(error);
        }
        const code = codeOf(error);
        return {
          status: 'fail',
          summary: code === 'TIMEOUT' ? `The live connection was not accepted within ${seconds(timeout)}.` : `The live connection failed (${code}).`,
          cause: 'A proxy or firewall lets web pages through but not live (WebSocket) connections, or the server is overloaded.',
          nextStep: 'Ask your administrator whether the proxy allows WebSocket connections to the server; try another network.',
        };
      }
    },

    async handshake() {
      const socket = facts.socket;
      if (!socket) return { status: 'skip', summary: 'Skipped: the live connection did not open.' };
      const frame = (await socket.firstFrame(input.handshakeWaitMs)) as { type?: unknown; protocol_version?: unknown; server_capabilities?: { features?: unknown; max_message_bytes?: unknown } } | null;
      if (frame === null) {
        facts.features = [];
        return {
          status: 'warn',
          summary: `No handshake within ${seconds(input.handshakeWaitMs)}: an older Nova server.`,
          cause: 'The server does not announce its features; Nova uses its compatibility mode (one connection per conversation).',
          nextStep: 'Nothing to do; messaging works, with fewer live features.',
        };
      }
      if (frame.type !== 'protocol_handshake') {
        facts.features = [];
        return { status: 'warn', summary: `The first message was not a handshake (${String(frame.type ?? 'unreadable')}).`, cause: 'An unexpected server or proxy.', nextStep: 'Tell your administrator and attach this report.' };
      }
      const features = Array.isArray(frame.server_capabilities?.features) ? frame.server_capabilities.features.map(String) : [];
      facts.features = features;
      const maxBytes = frame.server_capabilities?.max_message_bytes;
      return {
        status: 'pass',
        summary: `Protocol ${String(frame.protocol_version)}; ${features.length} features.`,
        details: [`features: ${features.join(', ') || 'none'}`, ...(typeof maxBytes === 'number' ? [`largest message: ${maxBytes} bytes`] : [])],
      };
    },

    async ping() {
      const socket = facts.socket;
      if (!socket) return { status: 'skip', summary: 'Skipped: the live connection did not open.' };
      try {
        const started = performance.now();
        await pingRoundTrip(socket.socket, facts.features?.includes('json_ping') ?? false, timeout, () => performance.now());
        const rtt = performance.now() - started;
        if (rtt > SLOW_RTT_MS) {
          return {
            status: 'warn',
            summary: `Round trip ${seconds(rtt)}: slow.`,
            cause: 'A congested or distant network (mobile data, a busy Wi-Fi, a far-away VPN exit).',
            nextStep: 'Messages still go out, more slowly; a closer network or VPN exit helps.',
          };
        }
        return { status: 'pass', summary: `Round trip ${seconds(rtt)}.` };
      } catch {
        return {
          status: 'fail',
          summary: `The live connection is open but a ping got no answer within ${seconds(timeout)}.`,
          cause: 'A proxy or VPN keeps the connection open without passing data, or the server is overloaded.',
          nextStep: 'Reconnect the VPN or try another network; Nova reconnects by itself when this happens.',
        };
      } finally {
        socket.socket.terminate();
        facts.socket = null;
      }
    },

    async clock() {
      const health = facts.health;
      const date = typeof health?.headers.date === 'string' ? Date.parse(health.headers.date) : Number.NaN;
      if (!health || Number.isNaN(date)) return { status: 'skip', summary: 'Skipped: the server’s time is not known (no answer with a Date header).' };
      // The Date header has whole seconds; the middle of the exchange is our best match for it.
      const ours = (health.sentAt + health.receivedAt) / 2;
      const skew = ours - (date + 500);
      const direction = skew > 0 ? 'ahead of' : 'behind';
      const details = [`server time ${new Date(date).toISOString()}`, `this computer ${new Date(ours).toISOString()}`];
      if (Math.abs(skew) >= CLOCK_FAIL_MS) {
        return {
          status: 'fail',
          summary: `This computer’s clock is ${span(skew)} ${direction} the server’s.`,
          details,
          cause: 'Sign-in renewal and certificate checks go by this clock: it will renew too late or be refused.',
          nextStep: 'Turn on automatic date and time in the system settings.',
        };
      }
      if (Math.abs(skew) >= input.tokenRefreshMarginMs) {
        return {
          status: 'warn',
          summary: `This computer’s clock is ${span(skew)} ${direction} the server’s.`,
          details,
          cause: 'Sign-in renewal is timed by this clock and may come too late.',
          nextStep: 'Turn on automatic date and time in the system settings.',
        };
      }
      return { status: 'pass', summary: `In step with the server (within ${Math.max(2, Math.ceil(Math.abs(skew) / 1_000))} s).`, details };
    },

    async token() {
      const token = input.accessToken();
      if (token === null) return { status: 'skip', summary: 'Not signed in.' };
      const claims = readClaims(token);
      if (!claims) return { status: 'warn', summary: 'The sign-in token could not be read.', cause: 'An unexpected token format.', nextStep: 'Sign out and sign in again.' };
      const left = claims.exp * 1_000 - input.now();
      const serverCode = facts.socketRefusal?.serverCode ?? null;
      if (serverCode === 'TOKEN_REVOKED') {
        return { status: 'fail', summary: 'The server ended this sign-in.', cause: 'You signed out on another device, or an administrator ended the session.', nextStep: 'Sign in again; your unsent messages are kept.' };
      }
      if (left <= 0) {
        return {
          status: 'fail',
          summary: `Your sign-in expired ${span(left)} ago.`,
          cause: 'Renewal did not happen: the computer slept or was offline when it was due, or renewal was refused.',
          nextStep: 'Nova renews it when it reconnects; if this stays, sign out and sign in again.',
        };
      }
      if (serverCode === 'TOKEN_EXPIRED') {
        return {
          status: 'fail',
          summary: `The server says your sign-in has expired, but by this computer’s clock it is valid for ${span(left)}.`,
          cause: 'This computer’s clock or the server’s is wrong.',
          nextStep: 'Check the date and time settings; if they are right, sign out and sign in again and tell your administrator.',
        };
      }
      return { status: 'pass', summary: `Valid for ${span(left)}; Nova renews it before it expires.` };
    },
  };

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

function refusalVerdict(refusal: UpgradeRefused): Verdict {
  const status = `${refusal.status}${refusal.serverCode ? ` ${refusal.serverCode}` : ''}`;
  switch (refusal.serverCode) {
    case 'TOKEN_EXPIRED':
      return { status: 'fail', summary: `The server refused the sign-in token as expired (${status}).`, cause: 'The sign-in was not renewed in time, or the clocks disagree (see Clock and Sign-in below).', nextStep: 'See the Sign-in step.' };
    case 'TOKEN_REVOKED':
      return { status: 'fail', summary: `The server refused the sign-in: it was ended (${status}).`, cause: 'You signed out elsewhere, or an administrator ended the session.', nextStep: 'Sign in again; your unsent messages are kept.' };
    default:
      break;
  }
  if (refusal.status === 401 || refusal.status === 403) {
    return { status: 'fail', summary: `The server refused the sign-in (${status}).`, cause: 'The sign-in is no longer accepted.', nextStep: 'Sign out and sign in again.' };
  }
  if (refusal.status === 426) {
    return { status: 'fail', summary: 'The server needs a newer version of Nova (426).', cause: 'This app is older than the server supports.', nextStep: 'Update Nova.' };
  }
  if (refusal.status === 429 || refusal.status === 503) {
    return {
      status: 'fail',
      summary: `The server is turning new connections away for now (${status}).`,
      ...(refusal.retryAfter ? { details: [`Retry-After: ${refusal.retryAfter} s`] } : {}),
      cause: 'Too many clients are reconnecting at once, or the server is starting up.',
      nextStep: 'Wait: Nova spreads its retries and gets in by itself.',
    };
  }
  if (refusal.status === 400) {
    return { status: 'warn', summary: 'The server refused a single connection for all conversations (400): an older Nova server.', cause: 'Older Nova servers take one connection per conversation.', nextStep: 'Nothing to do; Nova uses that mode by itself.' };
  }
  return { status: 'fail', summary: `The server refused the live connection (${status}).`, cause: 'A proxy or the server does not accept it.', nextStep: 'Tell your administrator and attach this report.' };
}

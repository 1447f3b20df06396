/**
 * The doctor's steps over the live connection and the session: the WebSocket upgrade with the
 * current sign-in, the protocol handshake, one ping, the clock against the server's `Date`, and
 * the sign-in token's expiry. They go by what the app itself would see and believe.
 */
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '../../../shared/protocol';
import { readClaims } from '../auth/jwt';
import { UpgradeRefused, openWebSocket, pingRoundTrip } from './probes';
import { codeOf, seconds, span, type StepContext, type Steps, type Verdict } from './step';

const SLOW_RTT_MS = 1_000;
const CLOCK_FAIL_MS = 5 * 60_000;

export function liveSteps(context: StepContext): Pick<Steps, 'websocket' | 'handshake' | 'ping' | 'clock' | 'token'> {
  const { input, facts, lookup, timeout } = context;
  return {
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

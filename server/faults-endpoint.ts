/**
 * The loopback-only admin endpoint /__faults/*: `control` over HTTP, for out-of-process tests
 * and demos. Mounted by startServer when `faultsEndpoint` is set.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ErrorCodeSchema } from '../src/shared/protocol';
import type { ErrorCode } from '../src/shared/protocol';
import { bearerToken } from './auth';
import type { ServerContext } from './core';
import type { ServerControl } from './handle';
import { guardRequest } from './guard';
import { HttpError, readJson } from './http';
import { errorMessage } from './logger';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Fault actions take a handful of small fields. */
const FAULTS_BODY_MAX_BYTES = 16 * 1024;

const AdminBody = z.object({
  mode: z.enum(['off', 'upgrades', 'freeze']).optional(),
  ms: z.number().int().nonnegative().optional(),
  n: z.number().int().nonnegative().optional(),
  status: z.number().int().min(100).max(599).optional(),
  nack_code: ErrorCodeSchema.optional(),
  retryable: z.boolean().optional(),
  email: z.string().optional(),
  on: z.boolean().optional(),
  code: z.number().int().optional(),
  down_ms: z.number().int().nonnegative().optional(),
  announce: z.boolean().optional(),
  crash: z.boolean().optional(),
  retry_after_ms: z.number().int().nonnegative().optional(),
});

/** Whether a request carries this run's faults token (compared in constant time). */
function hasFaultsToken(req: IncomingMessage, faultsToken: string | null): boolean {
  const given = Buffer.from(bearerToken(req.headers.authorization) ?? '');
  const expected = Buffer.from(faultsToken ?? '');
  return expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Loopback-only JSON wrapper around `control`, for out-of-process tests and demos. Loopback is
 * not enough on its own (any page in a local browser is on loopback), so it also wants this
 * run's token, a Host of this machine and no foreign Origin.
 */
export async function handleAdmin(
  ctx: ServerContext,
  control: ServerControl,
  faultsToken: string | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
    reply(403, { error: 'Loopback only', details: null, code: 'FORBIDDEN' satisfies ErrorCode });
    return;
  }
  const refusal = guardRequest(ctx.allowedHosts, req);
  if (refusal) {
    reply(refusal.status, { error: refusal.message, details: refusal.details, code: refusal.code });
    return;
  }
  if (!hasFaultsToken(req, faultsToken)) {
    reply(401, {
      error: 'Faults token required',
      details: 'send Authorization: Bearer <token>, the token the server printed at start',
      code: 'UNAUTHORIZED' satisfies ErrorCode,
    });
    return;
  }
  const action = (req.url ?? '').split('?')[0]?.replace(/^\/__faults\/?/, '') ?? '';
  try {
    if (req.method === 'GET' && (action === '' || action === 'state')) {
      reply(200, { faults: control.faultState(), stats: control.stats() });
      return;
    }
    const b = await readJson(ctx, req, AdminBody, { emptyAs: {}, maxBytes: FAULTS_BODY_MAX_BYTES });
    let result: unknown = null;
    switch (action) {
      case 'drop-sockets':
        result = control.dropAllSockets(b.code !== undefined ? { code: b.code } : {});
        break;
      case 'half-open':
        control.halfOpen(b.mode ?? 'upgrades');
        break;
      case 'delay-acks':
        control.delayAcks(b.ms ?? 0);
        break;
      case 'fail-next-sends': {
        const extra = {
          ...(b.retryable !== undefined ? { retryable: b.retryable } : {}),
          ...(b.retry_after_ms !== undefined ? { retryAfterMs: b.retry_after_ms } : {}),
        };
        control.failNextSends(
          b.n ?? 1,
          b.nack_code !== undefined ? { nackCode: b.nack_code, ...extra } : { status: b.status ?? 500, ...extra },
        );
        break;
      }
      case 'throttle-sends':
        control.throttleNextSends(b.n ?? 1, b.ms ?? 1000);
        break;
      case 'unavailable':
        control.unavailable(b.ms ?? 0);
        break;
      case 'revoke-user':
        result = control.revokeUser(b.email ?? '');
        break;
      case 'reject-logins':
        control.rejectLogins(b.on ?? true, b.status !== undefined ? { status: b.status } : {});
        break;
      case 'reset':
        control.reset();
        break;
      case 'restart':
        reply(202, { ok: true });
        void control.restart({
          ...(b.down_ms !== undefined ? { downMs: b.down_ms } : {}),
          ...(b.announce !== undefined ? { announce: b.announce } : {}),
          ...(b.crash !== undefined ? { crash: b.crash } : {}),
        });
        return;
      default:
        reply(404, { error: 'Unknown fault', details: action, code: 'NOT_FOUND' });
        return;
    }
    reply(200, { ok: true, result });
  } catch (err) {
    if (err instanceof HttpError) {
      reply(err.status, { error: err.message, details: err.details, code: err.code }, err.status === 413 || err.status === 415 ? { Connection: 'close' } : {});
      return;
    }
    reply(400, { error: errorMessage(err), details: null, code: 'INVALID_INPUT' });
  }
}

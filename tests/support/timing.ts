import type { Timing } from '../../src/main/core';

/**
 * The one table of short timings for tests that run a core (or a bare link) against the real
 * server: every wait in milliseconds so no test sits on a real 30 s timer. The deadlines that
 * decide something is broken (pong, handshake, connect, request, ack) stay well above what a
 * loaded 2-core machine can stall the event loop for, or a healthy link would be declared dead
 * (or legacy) at random. Giving up takes 1,000 failures so an outage a test stages never turns
 * into the 60 s slow retry; a test about one of these sets it itself.
 */
export const FAST_TIMING: Partial<Timing> = {
  eventBatchMs: 2,
  backoffBaseMs: 20,
  backoffCapMs: 200,
  giveUpAfterFailures: 1_000,
  slowRetryMs: 60_000,
  resetAfterConnectedMs: 300,
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 1_500,
  resumePingTimeoutMs: 200,
  longSleepMs: 5 * 60_000,
  handshakeWaitMs: 2_000,
  connectTimeoutMs: 3_000,
  closeTimeoutMs: 300,
  tokenRefreshMarginMs: 0,
  tokenRefreshRetryMs: 200,
  requestTimeoutMs: 3_000,
  retryBaseMs: 10,
  retryCapMs: 100,
  ackTimeoutMs: 2_000,
  syncTimeoutMs: 2_000,
};

/**
 * How long a test waits for something the system does by itself. Generous on purpose: CI and
 * developers share 2 cores with a load average of 5–7, where timers run hundreds of ms late.
 * A healthy run never gets near it; it only bounds a broken one.
 */
export const LOADED_TIMEOUT_MS = 10_000;

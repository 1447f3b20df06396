/**
 * Whether the connected link is alive: the heartbeat on its socket (a JSON `ping` where the
 * handshake advertises `json_ping`, else a protocol ping, at the shorter of our interval and the
 * server's), the quick probe after a network change or a resume, and the drop after a sleep no
 * link survives. It ends a dead link through the service, which then reconnects as usual.
 */
import WebSocket from 'ws';
import { CloseCode } from '../../../shared/protocol';
import type { Clock } from '../clock';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { Attempt } from './attempt';
import type { CloseCause } from './close-policy';
import { Heartbeat } from './heartbeat';
import type { ConnectionTiming } from './types';

export type LivenessOptions = Readonly<{
  clock: Clock;
  timing: Pick<ConnectionTiming, 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'resumePingTimeoutMs' | 'longSleepMs'>;
  log: Logger;
  metrics: Metrics;
  /** The current attempt; pings go out only once it is connected. */
  current: () => Attempt | null;
  /** Ends the link ourselves with `cause`; `dialAtOnce` skips the backoff for the next dial. */
  drop: (cause: CloseCause, dialAtOnce: boolean) => void;
  /** Something the snapshot shows changed (the round-trip time). */
  changed: () => void;
}>;

export class Liveness {
  private readonly heartbeat: Heartbeat;
  /** The probe in flight was sent on resume: if it fails, dial at once. */
  private resumeProbe = false;
  private suspendedAt: number | null = null;
  private rttMs: number | null = null;
  private timeouts = 0;

  constructor(private readonly o: LivenessOptions) {
    this.heartbeat = new Heartbeat(
      o.clock,
      {
        sendPing: (sentAt) => this.sendPing(sentAt),
        onTimeout: (waited) => this.onTimeout(waited),
        onRoundTrip: (rtt) => {
          this.rttMs = rtt;
          o.metrics.heartbeatRtt(rtt);
          o.changed();
        },
      },
      o.timing.heartbeatIntervalMs,
      o.timing.heartbeatTimeoutMs,
    );
  }

  get lastRttMs(): number | null {
    return this.rttMs;
  }

  get heartbeatTimeouts(): number {
    return this.timeouts;
  }

  /** The link is up: ping at the shorter of our interval and the one the server advertised. */
  start(): void {
    const advertised = this.o.current()?.capabilities?.pingIntervalMs ?? null;
    const interval = Math.min(this.o.timing.heartbeatIntervalMs, advertised ?? Number.POSITIVE_INFINITY);
    this.heartbeat.start(interval, this.o.timing.heartbeatTimeoutMs);
  }

  stop(): void {
    this.heartbeat.stop();
  }

  /** A pong (JSON or protocol) arrived. */
  pong(): void {
    this.heartbeat.pong();
    this.resumeProbe = false;
  }

  /** One quick round trip decides whether the link survived (a network change, retry now). */
  probe(): void {
    this.heartbeat.probeNow(this.o.timing.resumePingTimeoutMs);
  }

  suspend(): void {
    this.suspendedAt = this.o.clock.now();
    // A heartbeat deadline that expires across the sleep would blame the link for the lid.
    this.heartbeat.stop();
  }

  /** Back from sleep: how long it lasted (0 when no suspend was reported). */
  resumed(): number {
    const asleepMs = this.suspendedAt === null ? 0 : this.o.clock.now() - this.suspendedAt;
    this.suspendedAt = null;
    return asleepMs;
  }

  /** A connected link after a sleep: dropped and redialled at once after a long one, else probed. */
  checkAfterSleep(asleepMs: number): void {
    if (asleepMs > this.o.timing.longSleepMs) {
      const reason = `resumed after ${Math.round(asleepMs / 60_000)} min asleep`;
      this.o.drop({ code: CloseCode.NORMAL, reason, dropReason: 'resume' }, true);
      return;
    }
    this.start();
    this.probe();
    this.resumeProbe = true;
  }

  private sendPing(sentAt: number): boolean {
    const attempt = this.o.current();
    if (attempt === null || attempt.socket.readyState !== WebSocket.OPEN || attempt.capabilities === null) return false;
    if (attempt.capabilities.features.has('json_ping')) {
      attempt.socket.send(JSON.stringify({ type: 'ping', ts: sentAt }));
      this.o.metrics.frameSent('ping');
    } else {
      attempt.socket.ping();
    }
    return true;
  }

  private onTimeout(waitedMs: number): void {
    this.timeouts += 1;
    this.o.metrics.heartbeatTimeout();
    const afterResume = this.resumeProbe;
    this.resumeProbe = false;
    this.o.log.warn(`heartbeat: no pong in ${waitedMs} ms; terminating (4008)`);
    this.o.drop({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout' }, afterResume);
  }
}

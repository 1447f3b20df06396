/**
 * Keeping Nova current, around electron-updater: check the organisation's feed soon after start
 * and every few hours, download a newer version in the background (electron-updater verifies it
 * against the feed's sha512 as it streams), then offer a restart. Never at a message's expense:
 * with messages waiting, "Update after they are sent" restarts by itself once the outbox is empty
 * (or when the bounded wait ends; they stay saved either way), and the restart is the shell's
 * ordinary quit, so the core stops in order before the installer runs.
 *
 * Failures are quiet and visible: each step ends in one log line, one count in
 * `nova_update_*_total{result}` and the status Help shows; nothing here opens a dialog or throws
 * into the app.
 */
import type { AppUpdater, ProgressInfo, UpdateCheckResult as FoundUpdate } from 'electron-updater';
import type { Unsubscribe } from '../../shared/contract';
import { AppError } from '../../shared/errors';
import type { UpdateCheckResult, UpdateRestartResult, UpdateStatus } from '../../shared/updates';
import type { TimerHandle } from '../core/clock';
import { classifyCheckError, classifyDownloadError } from './update-errors';
import { judgeFound, totalSize } from './update-offer';
import { feedChannel, feedHost, firstCheckDelayMs, nextCheckDelayMs } from './update-policy';
import { DEFAULT_UPDATE_TIMING, type UpdateControllerPorts, type UpdateHandlers, type UpdateTiming } from './update-ports';

export { DEFAULT_UPDATE_TIMING, corePorts } from './update-ports';
export type { UpdateControllerPorts, UpdateHandlers, UpdateTiming } from './update-ports';

type Trigger = 'start' | 'schedule' | 'user' | 'channel';

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export class UpdateController {
  readonly handlers: UpdateHandlers;
  private readonly timing: UpdateTiming;
  private updater: AppUpdater | null = null;
  private availability: UpdateStatus['availability'];
  private unsupportedReason: string | null;
  private state: UpdateStatus['state'] = 'idle';
  private update: UpdateStatus['update'] = null;
  private progress: UpdateStatus['progress'] = null;
  private lastCheck: UpdateStatus['lastCheck'] = null;
  private lastFailure: UpdateStatus['lastFailure'] = null;
  private nextCheckAt: number | null = null;
  private pending: number;
  private waiting: UpdateStatus['restartWhenSent'] = null;
  private checking: Promise<UpdateStatus> | null = null;
  private checkTimer: TimerHandle | null = null;
  private waitTimer: TimerHandle | null = null;
  private readonly unsubscribers: Unsubscribe[] = [];
  private isRestartRequested = false;
  private isDisposed = false;

  constructor(private readonly ports: UpdateControllerPorts) {
    this.timing = { ...DEFAULT_UPDATE_TIMING, ...ports.timing };
    this.availability = ports.setup.availability;
    this.unsupportedReason = ports.setup.reason;
    this.pending = ports.pendingCount();
    if (ports.setup.availability === 'active') {
      this.unsubscribers.push(
        ports.onOutboxChange(() => this.outboxChanged()),
        ports.onChannelChange(() => {
          ports.log.info(`updates: channel changed to ${ports.channel()}`);
          this.publish();
          if (this.state === 'idle') void this.check('channel');
        }),
      );
    }
    this.handlers = {
      'update:get': () => Promise.resolve(this.status()),
      'update:check': () => this.check('user'),
      'update:restart': () => {
        this.restartNow();
        return Promise.resolve(null);
      },
      'update:restartWhenSent': () => Promise.resolve(this.restartWhenSent()),
      'update:cancelRestart': () => Promise.resolve(this.cancelRestart()),
    };
  }

  status(): UpdateStatus {
    const { setup } = this.ports;
    return {
      availability: this.availability,
      unsupportedReason: this.unsupportedReason,
      currentVersion: this.ports.currentVersion,
      channel: this.ports.channel(),
      feedHost: setup.feed ? feedHost(setup.feed.url) : null,
      allowDowngrade: setup.feed?.allowDowngrade ?? false,
      state: this.state,
      update: this.update,
      progress: this.progress,
      lastCheck: this.lastCheck,
      lastFailure: this.lastFailure,
      nextCheckAt: this.nextCheckAt,
      pendingMessages: this.pending,
      restartWhenSent: this.waiting,
    };
  }

  /** Arms the first check. Nothing happens when the organisation named no feed or this copy cannot update itself. */
  start(): void {
    const { setup, log } = this.ports;
    if (setup.availability === 'unmanaged') {
      log.info('updates: no update feed in the organisation file; updates are managed by the organisation');
      return;
    }
    if (setup.availability === 'unsupported') {
      log.info(`updates: off for this copy: ${setup.reason}`);
      return;
    }
    log.info(`updates: feed ${feedHost(setup.feed.url) ?? '?'}, ${this.ports.channel()} channel, downgrades ${setup.feed.allowDowngrade ? 'allowed' : 'refused'}`);
    this.schedule(firstCheckDelayMs(this.ports.random, this.timing), 'start');
  }

  /** Checks the feed now, or joins the check under way; a download found goes on in the background. */
  check(trigger: Trigger): Promise<UpdateStatus> {
    if (this.availability !== 'active' || this.isDisposed) return Promise.resolve(this.status());
    if (this.checking) return this.checking;
    if (this.state !== 'idle') {
      // A version is already on its way or waiting for the restart: nothing newer is worth a download now.
      if (trigger === 'user') this.ports.log.info(`updates: check skipped, ${this.update?.version ?? 'an update'} is ${this.state}`);
      return Promise.resolve(this.status());
    }
    this.clearCheckTimer();
    this.checking = this.runCheck(trigger).finally(() => {
      this.checking = null;
      if (this.isDisposed || this.availability !== 'active') return;
      this.schedule(nextCheckDelayMs(this.ports.setup.feed?.checkIntervalMs ?? 0, this.ports.random, this.timing), 'schedule');
    });
    return this.checking;
  }

  /** Restarts into the downloaded version now; messages not sent yet stay saved and go out after it. */
  restartNow(): void {
    this.requireReady();
    this.restart('now');
  }

  /** Restarts as soon as the outbox is empty, or when the bounded wait ends. */
  restartWhenSent(): UpdateStatus {
    this.requireReady();
    if (this.waiting) return this.status();
    const { clock, log, metrics } = this.ports;
    this.pending = this.ports.pendingCount();
    metrics.updateStep({ step: 'restart', result: 'when_sent' });
    if (this.pending === 0) {
      log.info('updates: nothing waits to be sent; restarting');
      this.restart('sent');
      return this.status();
    }
    const since = clock.now();
    this.waiting = { since, deadline: since + this.timing.sendWaitMs };
    log.info(`updates: restarting once ${plural(this.pending, 'message')} ${this.pending === 1 ? 'is' : 'are'} sent (at most ${Math.round(this.timing.sendWaitMs / 1000)} s)`);
    this.waitTimer = clock.setTimeout(() => {
      this.waitTimer = null;
      const left = this.ports.pendingCount();
      log.info(`updates: still ${plural(left, 'message')} unsent after ${Math.round(this.timing.sendWaitMs / 1000)} s; restarting, they stay saved and go out after the restart`);
      this.restart('timed_out');
    }, this.timing.sendWaitMs);
    this.publish();
    return this.status();
  }

  cancelRestart(): UpdateStatus {
    if (!this.waiting) return this.status();
    this.stopWaiting();
    this.ports.metrics.updateStep({ step: 'restart', result: 'cancelled' });
    this.ports.log.info('updates: restart after sending cancelled');
    this.publish();
    return this.status();
  }

  /**
   * Called by the shell once the core has stopped on the way out. After a restart for an update
   * this hands over to electron-updater's installer, which quits the app itself; otherwise it quits.
   */
  installAndQuit(quit: () => void): void {
    const updater = this.updater;
    if (!this.isRestartRequested || updater === null || this.update === null) {
      quit();
      return;
    }
    const { log, metrics, clock } = this.ports;
    let hasQuit = false;
    const quitOnce = (): void => {
      if (hasQuit) return;
      hasQuit = true;
      quit();
    };
    // quitAndInstall reports an installer that could not start as an error, and then does not quit.
    updater.once('error', (error: unknown) => {
      metrics.updateStep({ step: 'restart', result: 'install_failed' });
      log.warn(`updates: ${this.update?.version ?? 'the update'} could not be installed: ${error instanceof Error ? error.message.split('\n', 1)[0] : String(error)}`);
      quitOnce();
    });
    clock.setTimeout(quitOnce, this.timing.installQuitFallbackMs);
    metrics.updateStep({ step: 'restart', result: 'installing' });
    log.info(`updates: installing ${this.update.version} and restarting`);
    try {
      // Silent: the user already said yes; then start the new version.
      updater.quitAndInstall(true, true);
    } catch (error) {
      metrics.updateStep({ step: 'restart', result: 'install_failed' });
      log.warn('updates: the installer did not start', error);
      quitOnce();
    }
  }

  dispose(): void {
    this.isDisposed = true;
    this.clearCheckTimer();
    this.stopWaiting();
    this.unsubscribers.splice(0).forEach((off) => off());
  }

  // ---- steps --------------------------------------------------------------------------------

  private getUpdater(): AppUpdater {
    if (this.updater) return this.updater;
    const { setup, log } = this.ports;
    if (setup.feed === null) throw new Error('no update feed');
    const updater = this.ports.createUpdater();
    // Its own lines go to the debug log; ours say what each step came to.
    const debug = (message: unknown): void => log.debug(`updater: ${String(message).split('\n', 1)[0]}`);
    updater.logger = { info: debug, warn: debug, error: debug, debug };
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = true;
    updater.disableWebInstaller = true;
    updater.setFeedURL({ provider: 'generic', url: setup.feed.url });
    updater.on('download-progress', (info: ProgressInfo) => this.downloadProgress(info));
    this.updater = updater;
    return updater;
  }

  private async runCheck(trigger: Trigger): Promise<UpdateStatus> {
    const { log, metrics, clock, setup } = this.ports;
    const updater = this.getUpdater();
    // Setting the channel also turns downgrades on (electron-updater's rule for leaving a beta);
    // the organisation decides that, so it is set after.
    updater.channel = feedChannel(this.ports.channel());
    updater.allowDowngrade = setup.feed?.allowDowngrade ?? false;
    this.state = 'checking';
    this.publish();
    log.info(`updates: checking ${feedHost(setup.feed?.url ?? '') ?? 'the feed'} (${this.ports.channel()} channel, ${trigger})`);

    let found: FoundUpdate | null = null;
    let result: UpdateCheckResult;
    let message: string;
    let timer: TimerHandle | null = null;
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = clock.setTimeout(() => resolve('timeout'), this.timing.checkTimeoutMs);
      });
      const answer = await Promise.race([updater.checkForUpdates(), timeout]);
      if (answer === 'timeout') {
        result = 'unreachable';
        message = `The update server did not answer within ${Math.round(this.timing.checkTimeoutMs / 1000)} s.`;
      } else if (answer === null) {
        // electron-updater found this copy unable to update itself (and logged why).
        this.availability = 'unsupported';
        this.unsupportedReason = 'This copy of Nova cannot replace itself: install new versions the way you installed this one.';
        this.state = 'idle';
        log.info(`updates: off for this copy: ${this.unsupportedReason}`);
        this.publish();
        return this.status();
      } else {
        found = answer;
        ({ result, message } = judgeFound(answer, this.updater, this.ports.currentVersion));
      }
    } catch (error) {
      ({ result, message } = classifyCheckError(error));
    } finally {
      if (timer) clock.clearTimeout(timer);
    }

    const latest = typeof found?.updateInfo.version === 'string' ? found.updateInfo.version : null;
    this.lastCheck = { at: clock.now(), result, latestVersion: latest, message };
    metrics.updateStep({ step: 'check', result });
    if (result === 'up_to_date' || result === 'available' || result === 'downgrade_refused') log.info(`updates: ${result}: ${message}`);
    else log.warn(`updates: check ${result}: ${message}`);
    this.state = 'idle';
    if (result === 'available' && found !== null) this.download(found);
    else this.publish();
    return this.status();
  }

  private download(found: FoundUpdate): void {
    const { log, metrics, clock } = this.ports;
    const updater = this.getUpdater();
    const info = found.updateInfo;
    const token = found.cancellationToken;
    this.update = { version: info.version, releaseDate: typeof info.releaseDate === 'string' ? info.releaseDate : null, sizeBytes: totalSize(info) };
    this.progress = { transferredBytes: 0, totalBytes: this.update.sizeBytes ?? 0, percent: 0, bytesPerSecond: 0 };
    this.state = 'downloading';
    metrics.updateStep({ step: 'download', result: 'started' });
    log.info(`updates: downloading ${info.version}${this.update.sizeBytes !== null ? ` (${this.update.sizeBytes} bytes)` : ''}`);
    this.publish();

    let isStalled = false;
    let stallTimer: TimerHandle | null = null;
    const watch = (): void => {
      if (stallTimer) clock.clearTimeout(stallTimer);
      stallTimer = clock.setTimeout(() => {
        isStalled = true;
        token?.cancel();
      }, this.timing.downloadStallMs);
    };
    this.onProgressTick = watch;
    watch();

    void updater
      .downloadUpdate(token)
      .then(() => {
        this.lastFailure = null;
        this.state = 'ready';
        this.progress = null;
        this.pending = this.ports.pendingCount();
        metrics.updateStep({ step: 'download', result: 'verified' });
        log.info(`updates: ${info.version} downloaded and verified (sha512); ready to restart`);
      })
      .catch((error: unknown) => {
        const failure = isStalled
          ? { result: 'stalled' as const, message: `The download stopped: no data for ${Math.round(this.timing.downloadStallMs / 1000)} s.` }
          : classifyDownloadError(error);
        this.lastFailure = { at: clock.now(), step: 'download', result: failure.result, message: failure.message };
        this.state = 'idle';
        this.update = null;
        this.progress = null;
        metrics.updateStep({ step: 'download', result: failure.result });
        log.warn(`updates: download of ${info.version} ${failure.result}: ${failure.message}`);
      })
      .finally(() => {
        if (stallTimer) clock.clearTimeout(stallTimer);
        this.onProgressTick = null;
        if (!this.isDisposed) this.publish();
      });
  }

  private onProgressTick: (() => void) | null = null;

  private downloadProgress(info: ProgressInfo): void {
    if (this.state !== 'downloading') return;
    this.onProgressTick?.();
    this.progress = { transferredBytes: info.transferred, totalBytes: info.total, percent: Math.min(100, info.percent), bytesPerSecond: info.bytesPerSecond };
    this.publish();
  }

  private restart(why: Extract<UpdateRestartResult, 'now' | 'sent' | 'timed_out'>): void {
    this.stopWaiting();
    this.isRestartRequested = true;
    this.state = 'restarting';
    this.ports.metrics.updateStep({ step: 'restart', result: why });
    const left = this.ports.pendingCount();
    this.ports.log.info(
      `updates: restarting into ${this.update?.version ?? 'the new version'} (${why})${left > 0 ? `; ${plural(left, 'unsent message')} ${left === 1 ? 'stays' : 'stay'} saved for after the restart` : ''}`,
    );
    this.publish();
    this.ports.restart();
  }

  private requireReady(): void {
    if (this.state !== 'ready') throw new AppError('CONFLICT', 'No update has been downloaded yet.');
  }

  private outboxChanged(): void {
    const pending = this.ports.pendingCount();
    if (pending === this.pending) return;
    this.pending = pending;
    if (this.waiting && pending === 0) {
      this.ports.log.info('updates: every message was sent; restarting');
      this.restart('sent');
      return;
    }
    // The prompt shows the count; nobody else needs a status per outbox change.
    if (this.state === 'ready') this.publish();
  }

  private stopWaiting(): void {
    if (this.waitTimer) this.ports.clock.clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.waiting = null;
  }

  private schedule(delayMs: number, trigger: Extract<Trigger, 'start' | 'schedule'>): void {
    this.clearCheckTimer();
    this.nextCheckAt = this.ports.clock.now() + delayMs;
    this.checkTimer = this.ports.clock.setTimeout(() => {
      this.checkTimer = null;
      this.nextCheckAt = null;
      void this.check(trigger);
    }, delayMs);
  }

  private clearCheckTimer(): void {
    if (this.checkTimer) this.ports.clock.clearTimeout(this.checkTimer);
    this.checkTimer = null;
    this.nextCheckAt = null;
  }

  private publish(): void {
    if (!this.isDisposed) this.ports.emit(this.status());
  }
}

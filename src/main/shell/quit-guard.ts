/**
 * Quitting with messages the server has not acknowledged yet asks first: Send first / Quit
 * anyway / Stay. "Send first" waits, visibly and for at most SEND_FIRST_WAIT_MS, for the outbox
 * to empty, then quits by itself; "Stay" always ends with a visible window. When the OS ends the
 * session nothing waits for the user: the outbox is durable, so the next start sends them.
 *
 * The guard never blocks the main process (dialogs are asynchronous), so the outbox keeps
 * draining while a dialog is open.
 */
import type { Unsubscribe } from '../../shared/contract';
import type { Clock, TimerHandle } from '../core/clock';
import type { Logger } from '../core/logging';

export const SEND_FIRST_WAIT_MS = 30_000;

export type QuitChoice = 'send-first' | 'quit-anyway' | 'stay';
/** The answer in the "sending…" dialog; it is closed by the guard when the wait ends. */
export type SendingChoice = 'quit-now' | 'stay';

export type QuitGuardPorts = Readonly<{
  pendingCount(): number;
  /** Called after every outbox change, so the wait can end as soon as the last message is acknowledged. */
  onOutboxChange(listener: () => void): Unsubscribe;
  ask(pending: number, signal: AbortSignal): Promise<QuitChoice>;
  showSending(pending: number, waitMs: number, signal: AbortSignal): Promise<SendingChoice>;
  showWindow(): void;
  /** Starts the quit again (app.quit()); the guard then lets it through. */
  quit(): void;
  clock: Clock;
  log: Logger;
}>;

export type QuitGuardPhase = 'idle' | 'asking' | 'sending' | 'confirmed';

export class QuitGuard {
  private phase: QuitGuardPhase = 'idle';
  private dialog: AbortController | null = null;
  private stopWaiting: (() => void) | null = null;

  constructor(private readonly ports: QuitGuardPorts) {}

  get state(): QuitGuardPhase {
    return this.phase;
  }

  /**
   * Asked on every quit attempt (`before-quit`): true lets the quit go on; false means it must be
   * stopped now (a dialog is open, and the guard calls `quit()` itself if the user decides to go).
   */
  mayQuit(): boolean {
    if (this.phase === 'confirmed') return true;
    if (this.phase !== 'idle') return false;
    const pending = this.ports.pendingCount();
    if (pending === 0) {
      this.phase = 'confirmed';
      return true;
    }
    void this.ask(pending);
    return false;
  }

  /**
   * The user already decided elsewhere (restart for an update, after the prompt said what is
   * waiting): close any question and let the quit through without asking again.
   */
  proceed(reason: string): void {
    if (this.phase === 'confirmed') return;
    this.ports.log.info(`quit: ${reason}; ${this.ports.pendingCount()} unsent messages stay saved for next start`);
    this.confirm();
  }

  /** The OS is shutting down or logging out: close any dialog and let every quit through. */
  systemEnding(): void {
    if (this.phase === 'confirmed') return;
    this.ports.log.info(`quit: the system session is ending; ${this.ports.pendingCount()} unsent messages stay saved for next start`);
    this.confirm();
  }

  private async ask(pending: number): Promise<void> {
    this.phase = 'asking';
    const dialog = new AbortController();
    this.dialog = dialog;
    // Everything may go out while the question is open: then there is nothing left to ask about.
    const offOutbox = this.ports.onOutboxChange(() => {
      if (this.phase !== 'asking' || this.ports.pendingCount() > 0) return;
      this.ports.log.info('quit: every message was sent while the question was open; quitting');
      this.confirmAndQuit();
    });
    let choice: QuitChoice;
    try {
      choice = await this.ports.ask(pending, dialog.signal);
    } catch (error) {
      this.ports.log.warn('quit: the dialog failed; staying', error);
      choice = 'stay';
    } finally {
      offOutbox();
    }
    if (dialog.signal.aborted || this.phase !== 'asking') return;
    this.dialog = null;
    this.ports.log.info(`quit: ${pending} unsent, the user chose ${choice}`);
    if (choice === 'quit-anyway') this.confirmAndQuit();
    else if (choice === 'stay') this.stay();
    else this.sendFirst();
  }

  private sendFirst(): void {
    const pending = this.ports.pendingCount();
    if (pending === 0) {
      this.confirmAndQuit();
      return;
    }
    this.phase = 'sending';
    const dialog = new AbortController();
    this.dialog = dialog;
    let timer: TimerHandle | null = null;
    let offOutbox: Unsubscribe | null = null;
    const stop = (): void => {
      if (timer) this.ports.clock.clearTimeout(timer);
      timer = null;
      offOutbox?.();
      offOutbox = null;
      this.stopWaiting = null;
    };
    this.stopWaiting = stop;
    const finish = (why: string): void => {
      if (this.phase !== 'sending') return;
      stop();
      this.ports.log.info(`quit: ${why}; quitting`);
      this.confirmAndQuit();
    };
    offOutbox = this.ports.onOutboxChange(() => {
      if (this.ports.pendingCount() === 0) finish('every message was sent');
    });
    timer = this.ports.clock.setTimeout(
      () => finish(`still ${this.ports.pendingCount()} unsent after ${SEND_FIRST_WAIT_MS / 1000} s, they stay saved`),
      SEND_FIRST_WAIT_MS,
    );
    this.ports
      .showSending(pending, SEND_FIRST_WAIT_MS, dialog.signal)
      .then((answer) => {
        if (dialog.signal.aborted || this.phase !== 'sending') return;
        stop();
        this.dialog = null;
        if (answer === 'quit-now') this.confirmAndQuit();
        else this.stay();
      })
      .catch((error: unknown) => {
        // Without the dialog there is no way to cancel: the wait still ends by itself.
        this.ports.log.warn('quit: the sending dialog failed', error);
      });
  }

  private stay(): void {
    this.phase = 'idle';
    this.ports.showWindow();
  }

  private confirm(): void {
    this.stopWaiting?.();
    this.phase = 'confirmed';
    const dialog = this.dialog;
    this.dialog = null;
    dialog?.abort();
  }

  private confirmAndQuit(): void {
    this.confirm();
    this.ports.quit();
  }
}

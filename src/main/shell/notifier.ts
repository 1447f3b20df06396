/**
 * Which incoming messages become an OS notification, and how they are merged.
 *
 * - Nothing while notifications are off, in do-not-disturb, for a muted conversation, or for the
 *   conversation the focused window shows.
 * - Live messages: one notification per conversation. A burst is gathered until it has been
 *   quiet for `quietMs` (at most `maxHoldMs` after its first message); later messages replace
 *   that notification at most once per `mergeWindowMs`, counting everything not yet seen.
 * - Messages that arrive through a resync (catching up after time away) make one summary for
 *   the whole catch-up, not one per message; what was sent before the user signed in on this
 *   device (the first download of history) makes none.
 * - The preview (message text) is left out when the preference says so or the screen is locked.
 */
import type { NotificationPreferences } from '../../shared/preferences';
import type { IncomingNotice } from '../core/attention';
import type { Clock, TimerHandle } from '../core/clock';
import type { Logger } from '../core/logging';

export type NotifierTiming = Readonly<{
  quietMs: number;
  maxHoldMs: number;
  mergeWindowMs: number;
  resyncQuietMs: number;
  resyncMaxHoldMs: number;
}>;

export const NOTIFIER_TIMING: NotifierTiming = {
  quietMs: 500,
  maxHoldMs: 3_000,
  mergeWindowMs: 5_000,
  resyncQuietMs: 2_000,
  resyncMaxHoldMs: 10_000,
};

export type NotificationContent = Readonly<{
  title: string;
  body: string;
  /** What a click opens; null for a summary over several conversations. */
  conversationId: string | null;
  /** How many messages it stands for. */
  count: number;
}>;

export type ShownNotification = Readonly<{ close(): void }>;

export type NotifierPorts = Readonly<{
  clock: Clock;
  preferences(): NotificationPreferences;
  /** The window is visible, focused and showing this conversation. */
  isAttending(conversationId: string): boolean;
  conversationTitle(conversationId: string): string;
  /**
   * Catch-up messages sent before this moment (epoch ms) are history, not news: it is when the
   * user signed in on this device, so the first download of a conversation's past raises nothing.
   */
  historyBefore(): number;
  isScreenLocked(): boolean;
  show(content: NotificationContent): ShownNotification;
  log: Logger;
}>;

export const PREVIEW_MAX_CHARS = 160;

export function previewOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_MAX_CHARS ? `${flat.slice(0, PREVIEW_MAX_CHARS - 1)}…` : flat;
}

function messages(count: number): string {
  return count === 1 ? '1 new message' : `${count} new messages`;
}

/** Up to three names, then "and N more". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 3) return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

type Lane = {
  readonly conversationId: string;
  /** Messages not seen yet: since the user last looked at the conversation. */
  unseen: number;
  latestText: string;
  /** When the messages not yet shown began to gather. */
  gatheringSince: number | null;
  timer: TimerHandle | null;
  shown: ShownNotification | null;
  shownAt: number;
};

type Catchup = {
  perConversation: Map<string, { count: number; latestText: string }>;
  firstAt: number | null;
  timer: TimerHandle | null;
  shown: ShownNotification | null;
  shownAt: number;
};

export type IncomingNotifier = Readonly<{
  incoming(notice: IncomingNotice): void;
  /** The user now looks at this conversation: its notification goes, its count starts again. */
  attended(conversationId: string): void;
  /** Nothing pending fires after this; shown notifications stay with the OS. */
  dispose(): void;
}>;

export function createIncomingNotifier(ports: NotifierPorts, timing: NotifierTiming = NOTIFIER_TIMING): IncomingNotifier {
  const lanes = new Map<string, Lane>();
  const catchup: Catchup = { perConversation: new Map(), firstAt: null, timer: null, shown: null, shownAt: -Infinity };
  const { clock } = ports;

  function suppressedFor(conversationId: string): string | null {
    const preferences = ports.preferences();
    if (!preferences.enabled) return 'notifications are off';
    if (preferences.doNotDisturb) return 'do not disturb';
    if (preferences.mutedConversationIds.includes(conversationId)) return 'muted';
    if (ports.isAttending(conversationId)) return 'on screen';
    return null;
  }

  function showsPreview(): boolean {
    return ports.preferences().showPreviews && !ports.isScreenLocked();
  }

  function laneFor(conversationId: string): Lane {
    let lane = lanes.get(conversationId);
    if (!lane) {
      lane = { conversationId, unseen: 0, latestText: '', gatheringSince: null, timer: null, shown: null, shownAt: -Infinity };
      lanes.set(conversationId, lane);
    }
    return lane;
  }

  function reset(lane: Lane): void {
    if (lane.timer) clock.clearTimeout(lane.timer);
    lane.timer = null;
    lane.gatheringSince = null;
    lane.unseen = 0;
  }

  /** Fires when the burst is quiet, never later than maxHold, never sooner than the merge window allows. */
  function schedule(timer: TimerHandle | null, since: number, shownAt: number, quietMs: number, maxHoldMs: number, fire: () => void): TimerHandle {
    if (timer) clock.clearTimeout(timer);
    const now = clock.now();
    const notBefore = shownAt + timing.mergeWindowMs;
    const due = Math.max(Math.min(now + quietMs, since + maxHoldMs), notBefore);
    return clock.setTimeout(fire, Math.max(0, due - now));
  }

  function laneContent(conversationId: string, count: number, latestText: string): NotificationContent {
    const title = ports.conversationTitle(conversationId);
    if (!showsPreview()) return { title, body: messages(count), conversationId, count };
    const preview = previewOf(latestText);
    const body = count === 1 ? preview || messages(1) : `${messages(count)}: ${preview}`;
    return { title, body, conversationId, count };
  }

  function replace(previous: ShownNotification | null, content: NotificationContent): ShownNotification | null {
    previous?.close();
    try {
      return ports.show(content);
    } catch (error) {
      ports.log.warn('notify: the OS notification could not be shown', error);
      return null;
    }
  }

  function flushLane(lane: Lane): void {
    lane.timer = null;
    lane.gatheringSince = null;
    const why = suppressedFor(lane.conversationId);
    if (why !== null) {
      ports.log.debug(`notify: ${lane.unseen} held back (${why})`);
      lane.unseen = 0;
      return;
    }
    if (lane.unseen === 0) return;
    lane.shown = replace(lane.shown, laneContent(lane.conversationId, lane.unseen, lane.latestText));
    lane.shownAt = clock.now();
    ports.log.info(`notify: conversation notification for ${lane.unseen} messages`);
  }

  function flushCatchup(): void {
    catchup.timer = null;
    catchup.firstAt = null;
    const entries = [...catchup.perConversation].filter(([conversationId]) => suppressedFor(conversationId) === null);
    catchup.perConversation.clear();
    const total = entries.reduce((sum, [, entry]) => sum + entry.count, 0);
    if (total === 0) return;
    let content: NotificationContent;
    const only = entries.length === 1 ? entries[0] : undefined;
    if (only) {
      const [conversationId, entry] = only;
      const lane = laneFor(conversationId);
      lane.unseen += entry.count;
      lane.latestText = entry.latestText;
      content = laneContent(conversationId, lane.unseen, lane.latestText);
    } else {
      const names = entries.map(([conversationId]) => ports.conversationTitle(conversationId));
      content = { title: 'Nova', body: `${messages(total)} in ${listNames(names)}`, conversationId: null, count: total };
    }
    catchup.shown = replace(catchup.shown, content);
    catchup.shownAt = clock.now();
    ports.log.info(`notify: catch-up summary for ${total} messages in ${entries.length} conversations`);
  }

  return {
    incoming(notice) {
      const why = suppressedFor(notice.conversationId);
      if (why !== null) return;
      const now = clock.now();
      if (notice.viaResync) {
        if (notice.at < ports.historyBefore()) return;
        const entry = catchup.perConversation.get(notice.conversationId) ?? { count: 0, latestText: '' };
        entry.count += 1;
        entry.latestText = notice.text;
        catchup.perConversation.set(notice.conversationId, entry);
        catchup.firstAt ??= now;
        catchup.timer = schedule(catchup.timer, catchup.firstAt, catchup.shownAt, timing.resyncQuietMs, timing.resyncMaxHoldMs, flushCatchup);
        return;
      }
      const lane = laneFor(notice.conversationId);
      lane.unseen += 1;
      lane.latestText = notice.text;
      lane.gatheringSince ??= now;
      lane.timer = schedule(lane.timer, lane.gatheringSince, lane.shownAt, timing.quietMs, timing.maxHoldMs, () => flushLane(lane));
    },
    attended(conversationId) {
      const lane = lanes.get(conversationId);
      if (lane) {
        reset(lane);
        lane.shown?.close();
        lane.shown = null;
        lane.shownAt = -Infinity;
      }
      catchup.perConversation.delete(conversationId);
    },
    dispose() {
      for (const lane of lanes.values()) if (lane.timer) clock.clearTimeout(lane.timer);
      if (catchup.timer) clock.clearTimeout(catchup.timer);
      lanes.clear();
      catchup.perConversation.clear();
    },
  };
}

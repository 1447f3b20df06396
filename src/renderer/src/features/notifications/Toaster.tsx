import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { AppNotification } from '../../../../shared/contract';
import { discardOutbox, retryConnectionNow, retryOutbox, signOut } from '../../actions';
import { formatDateTime } from '../../format';
import { useAppStore, type Toast } from '../../store';
import { MAX_VISIBLE_TOASTS, TOAST_TIMEOUT_MS } from '../../store/notifications';
import { copyText } from '../../clipboard';

/**
 * Our own toasts rather than sonner's: sonner injects a <style> element at run time, which our
 * CSP (style-src 'self') blocks, and merging with a count lives naturally in the store (see
 * docs/decisions.md).
 */
export function Toaster(): React.JSX.Element {
  const toasts = useAppStore((s) => s.toasts);
  const visible = toasts.slice(-MAX_VISIBLE_TOASTS);
  const hiddenCount = toasts.length - visible.length;
  const ref = useRef<HTMLElement>(null);
  const placement = useClearOfTimeline(ref, visible);
  return (
    // Always in the page (even empty) so screen readers hear toasts that appear in it.
    <section
      ref={ref}
      className={`toaster toaster-${placement}`}
      aria-label="Notifications"
      aria-live="polite"
      data-testid="toaster"
      data-placement={placement}
    >
      {hiddenCount > 0 && <p className="toaster-more">{hiddenCount} more…</p>}
      {visible.map((toast) => (
        <ToastCard key={toast.mergeKey} toast={toast} />
      ))}
    </section>
  );
}

type Placement = 'bottom' | 'top';

function overlap(a: DOMRect, b: DOMRect): number {
  const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return width > 0 && height > 0 ? width * height : 0;
}

/**
 * Toasts sit bottom right, which is where the newest own messages and an open delivery timeline
 * are, and a toast is usually about that very message. The toaster takes whichever corner
 * (bottom, or just under the header) covers less of the open timeline card and of the messages
 * its toasts are about, re-measured as the thread scrolls, grows or resizes.
 */
function useClearOfTimeline(ref: React.RefObject<HTMLElement | null>, toasts: readonly Toast[]): Placement {
  const timelineKey = useAppStore((s) => s.timelineKey);
  const keys = toasts.map((toast) => toast.notification.messageKey).filter((key): key is string => typeof key === 'string' && key !== '');
  const keyList = keys.join('\n');
  const [placement, setPlacement] = useState<Placement>('bottom');
  useLayoutEffect(() => {
    const toaster = ref.current;
    if ((timelineKey === null && keyList === '') || !toaster) {
      setPlacement('bottom');
      return undefined;
    }
    const messageKeys = keyList === '' ? [] : keyList.split('\n');
    let frame: number | null = null;
    const measure = (): void => {
      frame = null;
      const avoid = [...document.querySelectorAll<HTMLElement>('[data-testid="timeline"], [data-testid="message"][data-key]')]
        .filter((element) => element.dataset['testid'] === 'timeline' || messageKeys.includes(element.dataset['key'] ?? ''))
        .map((element) => element.getBoundingClientRect());
      const box = toaster.getBoundingClientRect();
      const header = document.querySelector('.app-header')?.getBoundingClientRect().bottom ?? 0;
      const atBottom = new DOMRect(box.x, window.innerHeight - BOTTOM_OFFSET - box.height, box.width, box.height);
      const atTop = new DOMRect(box.x, header + TOP_GAP, box.width, box.height);
      const covered = (place: DOMRect): number => avoid.reduce((sum, rect) => sum + overlap(place, rect), 0);
      setPlacement(covered(atBottom) <= covered(atTop) ? 'bottom' : 'top');
    };
    const schedule = (): void => {
      frame ??= requestAnimationFrame(measure);
    };
    measure();
    const resize = typeof ResizeObserver === 'function' ? new ResizeObserver(schedule) : null;
    resize?.observe(toaster);
    const canvas = document.querySelector('.message-canvas');
    if (canvas) resize?.observe(canvas);
    document.addEventListener('scroll', schedule, true);
    window.addEventListener('resize', schedule);
    return () => {
      if (frame !== null) cancelAnimationFrame(frame);
      resize?.disconnect();
      document.removeEventListener('scroll', schedule, true);
      window.removeEventListener('resize', schedule);
    };
  }, [ref, timelineKey, keyList]);
  return placement;
}

/** Must match .toaster-bottom and .toaster-top in styles.css. */
const BOTTOM_OFFSET = 96;
const TOP_GAP = 8;

const ACTION_LABELS: Record<AppNotification['actions'][number], string> = {
  retry: 'Retry',
  discard: 'Discard',
  sign_in: 'Sign in again',
  details: 'Details',
  retry_connection: 'Retry now',
};

function ToastCard({ toast }: Readonly<{ toast: Toast }>): React.JSX.Element {
  const { notification, count, mergeKey } = toast;
  const dismiss = useAppStore((s) => s.dismissToast);
  const [isPaused, setPaused] = useState(false);
  const [isShowingDetails, setShowingDetails] = useState(false);

  // A toast that needs the user stays; the rest go after 5 s, timed from the latest repeat.
  const isTimed = !notification.sticky && !isPaused && !isShowingDetails;
  useEffect(() => {
    if (!isTimed) return undefined;
    const timer = setTimeout(() => dismiss(mergeKey), TOAST_TIMEOUT_MS);
    return () => clearTimeout(timer);
  }, [isTimed, mergeKey, toast.updatedAt, dismiss]);

  const isUrgent = notification.severity === 'error' || notification.severity === 'critical';
  const act = (action: AppNotification['actions'][number]): void => {
    const key = notification.messageKey;
    switch (action) {
      case 'details':
        setShowingDetails((shown) => !shown);
        return;
      case 'retry':
        if (key) void retryOutbox(key);
        dismiss(mergeKey);
        return;
      case 'discard': {
        const conversationId = key ? findConversationOf(key) : null;
        if (key && conversationId) void discardOutbox(key, conversationId);
        dismiss(mergeKey);
        return;
      }
      case 'retry_connection':
        void retryConnectionNow();
        dismiss(mergeKey);
        return;
      case 'sign_in':
        // Signed out already: the sign-in screen is showing. Otherwise end the session first.
        if (useAppStore.getState().auth?.signedIn) void signOut();
        dismiss(mergeKey);
        return;
    }
  };

  return (
    <div
      className={`toast toast-${notification.severity}`}
      role={isUrgent ? 'alert' : 'status'}
      data-testid="toast"
      data-code={notification.code}
      data-sticky={notification.sticky ? 'true' : 'false'}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <div className="toast-body">
        <p className="toast-message">
          {notification.message}
          {count > 1 && (
            <span className="toast-count" aria-label={`${count} times`}>
              ×{count}
            </span>
          )}
        </p>
        <p className="toast-meta">
          <code>{notification.code}</code> · error id <code>{notification.id}</code>
        </p>
        {isShowingDetails && (
          <dl className="toast-details">
            <dt>When</dt>
            <dd>{formatDateTime(notification.at)}</dd>
            <dt>Error id</dt>
            <dd>
              <code>{notification.id}</code>{' '}
              <button type="button" className="link-button" onClick={() => void copyText(notification.id)}>
                Copy
              </button>
            </dd>
            <dd className="toast-hint">Quote this id to support: it is also in the log.</dd>
          </dl>
        )}
      </div>
      <div className="toast-actions">
        {withDetails(notification.actions).map((action) => (
          <button key={action} type="button" className="button button-small" onClick={() => act(action)}>
            {action === 'details' && isShowingDetails ? 'Hide details' : ACTION_LABELS[action]}
          </button>
        ))}
        <button
          type="button"
          className="button button-small button-quiet"
          aria-label="Dismiss notification"
          onClick={() => dismiss(mergeKey)}
        >
          ✕
        </button>
      </div>
    </div>
  );
}

/** Every toast can show its details: the error id is what support asks for. */
function withDetails(actions: AppNotification['actions']): AppNotification['actions'] {
  return actions.includes('details') ? actions : [...actions, 'details'];
}

function findConversationOf(messageKey: string): string | null {
  const state = useAppStore.getState();
  const item = state.outbox[messageKey];
  if (item) return item.conversationId;
  for (const thread of Object.values(state.threads)) {
    if (thread.byKey.has(messageKey)) return thread.conversationId;
  }
  return null;
}

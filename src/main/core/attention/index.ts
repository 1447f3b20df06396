/**
 * What the shell needs to decide whether something deserves the user's attention: each message
 * from someone else as it is stored (live, or through a resync), and the conversation the
 * window shows. The core only reports; the shell decides what to notify (src/main/shell/).
 */
import type { Unsubscribe } from '../../../shared/contract';

export type IncomingNotice = Readonly<{
  key: string;
  conversationId: string;
  senderId: string;
  text: string;
  /** When the server stored it (epoch ms), or when it arrived if the server did not say. */
  at: number;
  /** It came in through a resync (catching up after time away), not as a live message. */
  viaResync: boolean;
}>;

export type Feed<T> = Readonly<{ on(listener: (value: T) => void): Unsubscribe }>;

class Emitter<T> implements Feed<T> {
  private readonly listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  clear(): void {
    this.listeners.clear();
  }
}

export type ViewState = Feed<string | null> & Readonly<{ current(): string | null }>;

export type Attention = Readonly<{
  incoming: Feed<IncomingNotice>;
  view: ViewState;
  /** Delivery calls this once per message from someone else, after it is committed. */
  received(notice: IncomingNotice): void;
  handlers: Readonly<{ 'conversations:view': (req: { conversationId: string | null }) => Promise<null> }>;
  dispose(): void;
}>;

export function createAttention(): Attention {
  const incoming = new Emitter<IncomingNotice>();
  const viewChanges = new Emitter<string | null>();
  let viewed: string | null = null;
  return {
    incoming,
    view: { current: () => viewed, on: (listener) => viewChanges.on(listener) },
    received: (notice) => incoming.emit(notice),
    handlers: {
      'conversations:view': (req) => {
        if (req.conversationId !== viewed) {
          viewed = req.conversationId;
          viewChanges.emit(viewed);
        }
        return Promise.resolve(null);
      },
    },
    dispose: () => {
      incoming.clear();
      viewChanges.clear();
    },
  };
}

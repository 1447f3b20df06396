/**
 * What other people do right now, as frames tell it: who types (in and out, paced as the
 * protocol asks, §4.6), who read how far (other members: "Seen"; the user's other devices: the
 * unread count), and conversations created elsewhere that include the user.
 */
import { TYPING_RESEND_MS, TYPING_SHOW_MS, isLocalConversationId } from '../../../shared/people';
import type { ServerFrameOf } from '../../../shared/protocol';
import type { Clock, TimerHandle } from '../clock';
import type { CoreEventBus } from '../events';
import type { ClientFrame, ServerLink } from '../link';
import type { DB } from '../store/database';
import type { WriteQueue } from '../store/write-queue';
import { raiseMemberReadSeq, raiseOwnReadSeq, saveServerConversation } from './store';

export type LiveOptions = Readonly<{
  db: DB;
  writes: WriteQueue;
  link: ServerLink;
  clock: Clock;
  events: CoreEventBus;
  conversationChanged(ownerId: string, conversationId: string): void;
}>;

export class PeopleLive {
  /** Per conversation: who types, and when that stops being shown. */
  private readonly typists = new Map<string, Map<string, TimerHandle>>();
  /** What this user last told each conversation, and when. */
  private readonly told = new Map<string, { isTyping: boolean; at: number }>();

  constructor(private readonly o: LiveOptions) {}

  /** The composer's state; "typing" goes out again at most every TYPING_RESEND_MS, "stopped" once. */
  setTyping(conversationId: string, isTyping: boolean): void {
    const { link, clock } = this.o;
    const capabilities = link.capabilities();
    const userId = link.currentUserId();
    if (capabilities === null || userId === null || isLocalConversationId(conversationId)) return;
    const now = clock.now();
    const last = this.told.get(conversationId);
    if (isTyping && last?.isTyping === true && now - last.at < TYPING_RESEND_MS) return;
    if (!isTyping && last?.isTyping !== true) return;
    // Legacy Nova takes typing frames only with the user's id, and has no "stopped".
    if (capabilities.mode === 'legacy' && !isTyping) {
      this.told.set(conversationId, { isTyping, at: now });
      return;
    }
    const frame: ClientFrame =
      capabilities.mode === 'legacy'
        ? { type: 'typing', conversation_id: conversationId, user_id: userId }
        : { type: 'typing', conversation_id: conversationId, is_typing: isTyping };
    if (link.sendFrame(frame)) this.told.set(conversationId, { isTyping, at: now });
  }

  handleTyping(frame: ServerFrameOf<'typing'>): void {
    // Legacy Nova sends typing back to the typist too.
    if (frame.user_id === this.o.link.currentUserId()) return;
    const conversation = this.typists.get(frame.conversation_id) ?? new Map<string, TimerHandle>();
    this.typists.set(frame.conversation_id, conversation);
    const previous = conversation.get(frame.user_id);
    if (previous !== undefined) this.o.clock.clearTimeout(previous);
    const wasTyping = previous !== undefined;
    if (frame.is_typing === false) {
      conversation.delete(frame.user_id);
      if (wasTyping) this.emitTyping(frame.conversation_id);
      return;
    }
    conversation.set(
      frame.user_id,
      this.o.clock.setTimeout(() => {
        conversation.delete(frame.user_id);
        this.emitTyping(frame.conversation_id);
      }, TYPING_SHOW_MS),
    );
    if (!wasTyping) this.emitTyping(frame.conversation_id);
  }

  /** A member's read marker moved: another member's is "Seen", the user's own (another device) the unread count. */
  handleReadReceipt(frame: ServerFrameOf<'read_receipt'>): void {
    const ownerId = this.o.link.currentUserId();
    // Legacy Nova's receipts say nothing about how far.
    if (ownerId === null || frame.last_read_seq === undefined) return;
    const seq = frame.last_read_seq;
    const conversationId = frame.conversation_id;
    this.o.writes.push(() => {
      const moved =
        frame.user_id === ownerId
          ? raiseOwnReadSeq(this.o.db, ownerId, conversationId, seq)
          : raiseMemberReadSeq(this.o.db, ownerId, conversationId, frame.user_id, seq);
      if (moved) this.o.writes.afterCommit(() => this.o.conversationChanged(ownerId, conversationId));
    });
    // A person who reads has stopped typing there.
    if (frame.user_id !== ownerId && this.typists.get(conversationId)?.has(frame.user_id) === true) {
      this.handleTyping({ type: 'typing', conversation_id: conversationId, user_id: frame.user_id, is_typing: false });
    }
  }

  handleConversationCreated(frame: ServerFrameOf<'conversation_created'>): void {
    const ownerId = this.o.link.currentUserId();
    if (ownerId === null) return;
    this.o.writes.push(() => {
      saveServerConversation(this.o.db, ownerId, frame.conversation);
      this.o.writes.afterCommit(() => this.o.conversationChanged(ownerId, frame.conversation.id));
    });
  }

  /** Nobody is shown typing across a reconnect, and the next keystroke tells the server again. */
  reset(): void {
    for (const [conversationId, conversation] of this.typists) {
      for (const timer of conversation.values()) this.o.clock.clearTimeout(timer);
      if (conversation.size > 0) this.o.events.emit('typing:changed', { conversationId, userIds: [] });
    }
    this.typists.clear();
    this.told.clear();
  }

  private emitTyping(conversationId: string): void {
    const userIds = [...(this.typists.get(conversationId)?.keys() ?? [])];
    if (userIds.length === 0) this.typists.delete(conversationId);
    this.o.events.emit('typing:changed', { conversationId, userIds });
  }
}

/**
 * The renderer's one store: a projection of what main reports, made of typed slices. Main owns
 * the truth; `bridge.ts` feeds this store, and components select narrowly from it.
 */
import { create } from 'zustand';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createConversationsSlice, type ConversationsSlice } from './conversations';
import { createDraftsSlice, type DraftsSlice } from './drafts';
import { createMessagesSlice, type MessagesSlice } from './messages';
import { createNotificationsSlice, type NotificationsSlice } from './notifications';
import { createOutboxSlice, type OutboxSlice } from './outbox';
import { createSearchSlice, type SearchSlice } from './search';
import { createPeopleSlice, type PeopleSlice } from './people';
import { createSessionSlice, type SessionSlice } from './session';
import { createSettingsSlice, type SettingsSlice } from './settings';
import { createUiSlice, type UiSlice } from './ui';
import { createUpdatesSlice, type UpdatesSlice } from './updates';

export type AppState = SessionSlice &
  ConnectionSlice &
  ConversationsSlice &
  MessagesSlice &
  OutboxSlice &
  NotificationsSlice &
  DraftsSlice &
  UiSlice &
  SettingsSlice &
  UpdatesSlice &
  SearchSlice &
  PeopleSlice;

export const useAppStore = create<AppState>()((...a) => ({
  ...createSessionSlice(...a),
  ...createConnectionSlice(...a),
  ...createConversationsSlice(...a),
  ...createMessagesSlice(...a),
  ...createOutboxSlice(...a),
  ...createNotificationsSlice(...a),
  ...createDraftsSlice(...a),
  ...createUiSlice(...a),
  ...createSettingsSlice(...a),
  ...createUpdatesSlice(...a),
  ...createSearchSlice(...a),
  ...createPeopleSlice(...a),
}));

/** The state a fresh window starts with; tests reset to it between cases. */
export const initialAppState: AppState = useAppStore.getState();

export type { ConnectionSlice } from './connection';
export type { SessionSlice, SignInStep } from './session';
export type { ThreadState } from './messages';
export type { Toast } from './notifications';

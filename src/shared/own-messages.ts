/**
 * Data shapes of what a user does to their own messages after writing them: cancel a queued one,
 * edit or delete one (queued or sent), read its delivery timeline; and the resync status the
 * window shows as "catching up…". The channels that carry them are in contract.ts.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';

/** Keys and ids from the renderer: no path or query characters. */
export const MessageKeySchema = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/);

export const CANCEL_OUTCOMES = [
  /** Never delivered, and never will be: gone from the thread. */
  'withdrawn',
  /** The server already had it: shown as sent; the user may delete it from the server instead. */
  'delivered',
  /** Offline while it may be on the server: saved, never sent meanwhile, settled at the next connect. */
  'requested',
] as const;
export const CancelResultSchema = z.object({ outcome: z.enum(CANCEL_OUTCOMES) });
export type CancelResult = z.infer<typeof CancelResultSchema>;

export const DELETE_OUTCOMES = [
  /** It had not reached anyone: withdrawn, as a cancel. */
  'withdrawn',
  /** Deleted on the server for everyone. */
  'deleted',
] as const;
export const DeleteResultSchema = z.object({ outcome: z.enum(DELETE_OUTCOMES) });
export type DeleteResult = z.infer<typeof DeleteResultSchema>;

/** Conversations whose resync has not succeeded yet, and how it is going. */
export const SyncStatusSchema = z.object({
  catchingUp: z.array(z.string()),
  attempts: z.number().int(),
  failures: z.number().int(),
});
export type SyncStatus = z.infer<typeof SyncStatusSchema>;

export const INTENT_KINDS = ['cancel', 'edit'] as const;
export const INTENT_OUTCOMES = [
  /** Cancel: the server never had it and never will. */
  'withdrawn',
  /** Cancel: too late, the server had it; it stays, and the user may delete it instead. */
  'delivered',
  /** Edit: it had landed with the old text and is now edited. */
  'edited',
  /** Edit: it had not landed; it goes out with the new text under the same key. */
  'replaced',
  /** The server refused to settle it (`code`): the message is back as it was before. */
  'refused',
] as const;
/** A cancel or edit saved offline, settled with the server at a connect. */
export const IntentSettledSchema = z.object({
  key: z.string(),
  conversationId: z.string(),
  kind: z.enum(INTENT_KINDS),
  outcome: z.enum(INTENT_OUTCOMES),
  code: z.enum(ERROR_CODES).nullable(),
});
export type IntentSettled = z.infer<typeof IntentSettledSchema>;

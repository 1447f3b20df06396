/**
 * The delivery half of the core, composed: the write queue, outbox engine and its commands,
 * resync, change feed, people and search, wired to one link. compose.ts builds the rest of the
 * core around what this returns.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingNotice } from './attention';
import type { CoreContext } from './context';
import { type DisposableStore, toDisposable } from './lifecycle';
import type { ServerLink } from './link';
import { DEFAULT_OUTBOX_LIMITS } from './options';
import { OutboxChanges } from './outbox/changes';
import { OutboxCommands } from './outbox/commands';
import { ConversationNames, Conversations } from './outbox/conversations';
import { Delivery } from './outbox/delivery';
import { DeliveryEngine } from './outbox/engine';
import { OwnMessages } from './outbox/own-messages';
import { ServerLimits } from './outbox/limits';
import { People, isLocalConversationId } from './people';
import { SearchService } from './search';
import { getSetting, setSetting } from './store/database';
import { listConversations } from './store/messages';
import { WriteQueue } from './store/write-queue';
import { ChangeFeed } from './sync/change-feed';
import { Reconciler } from './sync/reconciler';

/**
 * Delivery, built in dependency order: the write queue, the change batch, the reconciler and the
 * engine (each tells the others through the batch), then what the window and the link call.
 */
export function composeOutbox(
  context: CoreContext,
  link: ServerLink,
  lifetime: DisposableStore,
  onIncoming: (notice: IncomingNotice) => void,
) {
  const { db, clock, timing, log, metrics, options } = context;
  const limits = { ...DEFAULT_OUTBOX_LIMITS, ...options.outboxLimits };
  const writes = new WriteQueue(db, (error) => log.scope('delivery').error('store: batched write failed', error));
  lifetime.add(toDisposable(() => writes.close()));
  // Closed with delivery: no batch is built once the outbox has stopped, and the connection,
  // the window's other producer, stops right after and reports nothing more.
  lifetime.add(context.changes);
  const names = new ConversationNames(db);
  const changes: OutboxChanges = new OutboxChanges({
    db,
    writes,
    link,
    window: context.changes,
    events: context.events,
    metrics,
    notifications: context.notifications,
    names,
    inFlight: { keys: () => engine.sendingKeys(), count: () => engine.sendingCount() },
  });
  const reconciler = new Reconciler({
    db,
    writes,
    link,
    clock,
    log: log.scope('delivery').scope('sync'),
    syncTimeoutMs: timing.syncTimeoutMs,
    metrics,
    retry: { retryBaseMs: timing.retryBaseMs, retryCapMs: timing.retryCapMs },
    random: context.random,
    onStatus: (status) => context.events.emit('sync:changed', status),
    sink: {
      messageChanged: (ownerId, key, conversationId) => changes.messageChanged(ownerId, key, conversationId),
      deliveredElsewhere: (_ownerId, conversationId, key) => engine.deliveredElsewhere(conversationId, key),
      // History pages fetched while scrolling back are not news: only live and resync messages are.
      received: (message, key, source) => {
        if (source === 'rest') return;
        onIncoming({
          key,
          conversationId: message.conversationId,
          senderId: message.senderId,
          text: message.text ?? '',
          at: message.createdAt ?? clock.now(),
          viaResync: source === 'sync',
        });
      },
    },
  });
  const engine: DeliveryEngine = new DeliveryEngine({
    db,
    writes,
    link,
    clock,
    random: context.random,
    timing,
    pipelineWindow: limits.pipelineWindow,
    deviceId: deviceId(context),
    log: log.scope('delivery').scope('outbox'),
    metrics,
    sink: {
      messageChanged: (ownerId, key, conversationId) => changes.messageChanged(ownerId, key, conversationId),
      delivered: (ownerId, conversationId, seq) => reconciler.recordOwnDelivery(ownerId, conversationId, seq),
      notify: (code, notifyOptions) => changes.notify(code, notifyOptions),
    },
  });
  lifetime.add(toDisposable(() => reconciler.disconnected()));
  lifetime.add(toDisposable(() => engine.stop()));
  // Messages left from an earlier run count from the start, before anything changes.
  changes.reportDepth();
  const serverLimits = new ServerLimits(db, limits.defaultMaxMessageBytes);
  const conversations = new Conversations({
    db,
    writes,
    link,
    log: log.scope('delivery'),
    reconciler,
    names,
    sending: () => engine.sendingKeys(),
    changes,
  });
  const commands = new OutboxCommands({ db, writes, link, clock, metrics, limits, serverLimits, engine, names, changes });
  const own = new OwnMessages({ db, writes, link, clock, log: log.scope('delivery').scope('outbox'), engine, serverLimits, changes, events: context.events, random: context.random, retry: timing });
  lifetime.add(toDisposable(() => own.intents.stop()));
  const people = new People({
    db,
    writes,
    link,
    clock,
    log: log.scope('people'),
    events: context.events,
    notifications: context.notifications,
    conversationChanged: (ownerId, conversationId) => {
      names.delete(conversationId);
      changes.conversationChanged(ownerId, conversationId);
    },
    messagesRemoved: (ownerId, conversationId, keys) => {
      for (const key of keys) {
        engine.dropQueued(conversationId, key);
        changes.messageChanged(ownerId, key, conversationId);
      }
    },
    // Created (or found) on the server: its history first, then the messages queued for it.
    adopted: (ownerId, conversationId) => {
      if (link.capabilities()?.mode === 'legacy') {
        link.watchConversations(listConversations(db, ownerId).map((c) => c.id).filter((id) => !isLocalConversationId(id)));
      }
      void reconciler
        .sync(conversationId)
        .then(() => {
          // The resync may end after the core stopped (and closed the database).
          if (!isStopped) engine.release(conversationId);
        })
        .catch((error: unknown) => log.scope('people').warn('people: a created conversation did not open its lane', error));
    },
    retryDelayMs: (attempt) => Math.min(timing.retryCapMs, timing.retryBaseMs * 2 ** Math.min(attempt, 16)),
  });
  lifetime.add(toDisposable(() => people.stop()));
  const changeFeed = new ChangeFeed({
    db,
    writes,
    link,
    log: log.scope('delivery').scope('changes'),
    messageChanged: (ownerId, key, conversationId) => changes.messageChanged(ownerId, key, conversationId),
  });
  lifetime.add(toDisposable(() => changeFeed.disconnected()));
  const delivery = new Delivery({
    db,
    writes,
    link,
    log: log.scope('delivery'),
    engine,
    reconciler,
    conversations,
    changeFeed,
    changes,
    serverLimits,
    // Creations first, then cancels and edits saved offline: both before any lane sends.
    beforeResync: async (ownerId, capabilities) => {
      await people.creations.replay(ownerId, capabilities);
      await own.intents.settleAll(ownerId);
    },
  });
  lifetime.add(toDisposable(() => delivery.stop()));
  // Disposed first of delivery's parts: nothing started before the stop opens a lane after it.
  let isStopped = false;
  lifetime.add(
    toDisposable(() => {
      isStopped = true;
    }),
  );
  const search = new SearchService({
    db,
    writes,
    events: context.events,
    log: log.scope('search'),
    currentUserId: () => link.currentUserId(),
    sending: () => engine.sendingKeys(),
  });
  lifetime.add(toDisposable(() => search.stop()));
  return { delivery, commands, conversations, own, reconciler, people, search };
}

/** This installation's id, sent with pipelined sends so the server numbers each device apart. */
function deviceId({ db }: CoreContext): string {
  const existing = getSetting(db, 'device_id');
  if (existing) return existing;
  const id = randomUUID();
  setSetting(db, 'device_id', id);
  return id;
}


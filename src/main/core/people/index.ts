/**
 * People: names and members (stored with the conversation list), people search, new
 * conversations (queued in front of their messages, created exactly once), typing and read state.
 * Built by the composition root with delivery's parts; its frames come through the link.
 */
import type { Res, Unsubscribe } from '../../../shared/contract';
import { AppError } from '../../../shared/errors';
import { isLocalConversationId } from '../../../shared/people';
import { currentOwner } from '../outbox/conversations';
import { SERVER_BODIES } from '../server-data';
import { Creations, type CreationsOptions } from './creations';
import { PeopleLive } from './live';

export { isLocalConversationId };

/** People needs what its creations need: the same parts from the composition root. */
export type PeopleOptions = CreationsOptions;

export class People {
  readonly creations: Creations;
  readonly live: PeopleLive;
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(private readonly o: PeopleOptions) {
    this.creations = new Creations(o);
    this.live = new PeopleLive(o);
  }

  start(): void {
    const { link } = this.o;
    this.unsubscribes.push(
      link.onFrame((frame) => {
        if (frame.type === 'typing') this.live.handleTyping(frame);
        else if (frame.type === 'read_receipt') this.live.handleReadReceipt(frame);
        else if (frame.type === 'conversation_created') this.live.handleConversationCreated(frame);
      }),
      link.onDidDisconnect(() => this.live.reset()),
    );
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    this.creations.stop();
    this.live.reset();
  }

  /** The server's people search: it needs the connection, and a server that has it (not legacy Nova). */
  async search(query: string): Promise<Res<'people:search'>> {
    const { link } = this.o;
    currentOwner(link);
    const capabilities = link.capabilities();
    if (capabilities === null) throw new AppError('OFFLINE', 'Finding people needs the connection. People you already share a conversation with are listed below.');
    if (capabilities.mode === 'legacy' || !capabilities.features.has('people')) {
      throw new AppError('NOT_IMPLEMENTED', 'This server has no people search. Paste the person’s user id instead.');
    }
    const response = await link.requestParsed(SERVER_BODIES.userSearch, 'GET', `/users/search?q=${encodeURIComponent(query)}&limit=20`);
    if (response.value === null) {
      throw new AppError(response.status === 429 ? 'RATE_LIMITED' : 'SERVER_ERROR', `People search answered ${response.status}.`);
    }
    return {
      people: response.value.users.map((u) => ({ id: u.id, displayName: u.display_name, username: u.username, email: u.email ?? null })),
      hasMore: response.value.has_more,
    };
  }
}

/**
 * Legacy Nova's dialer. Real Nova has no user-scoped socket, so once the connection service has
 * found it is talking to one, each round opens one socket per watched conversation (a
 * ConversationSockets set, which the service adopts as the current attempt's socket) and waits
 * for the set to be lost. The service's gate, backoff and close policy decide when the next
 * round starts, as they do for the compat dialer. The dialer lives for one session and remembers
 * the conversations Nova refused in it.
 */
import type { Clock } from '../clock';
import type { Logger } from '../logging';
import { AppError } from '../../../shared/errors';
import { ConversationSockets } from './legacy';
import type { ConnectionTiming, LinkAuth } from './types';

export type LegacyDialerOptions = Readonly<{
  serverUrl: string;
  clock: Clock;
  log: Logger;
  timing: Pick<ConnectionTiming, 'connectTimeoutMs' | 'closeTimeoutMs'>;
  auth: Pick<LinkAuth, 'userId' | 'freshAccessToken'>;
  /** The conversations delivery watches (ServerLink.watchConversations). */
  watched: () => readonly string[];
  /** Waits for the service's next turn and returns a fresh token; null once the session has ended. */
  nextTurn: () => Promise<string | null>;
  /** A new set, about to dial: the service begins the attempt and makes the set its socket. */
  adopt: (set: ConversationSockets, token: string) => void;
  /** An upgrade of the set was answered with a status (401, 503 + Retry-After, …). */
  refused: (set: ConversationSockets, status: number, headers: Readonly<Record<string, string>>) => void;
}>;

export class LegacyDialer {
  /** Conversations Nova refused (upgrade, then a close without a code: not a member); left out this session. */
  private readonly refusedConversations = new Set<string>();
  private isDisposed = false;

  constructor(private readonly o: LegacyDialerOptions) {}

  /** Dials round after round, until disposed or the session ends. Never rejects. */
  async run(): Promise<void> {
    for (;;) {
      const token = await this.o.nextTurn();
      const userId = this.o.auth.userId();
      if (token === null || userId === null || this.isDisposed) return;
      const set = new ConversationSockets({
        serverUrl: this.o.serverUrl,
        userId,
        token,
        conversationIds: this.conversations(),
        clock: this.o.clock,
        connectTimeoutMs: this.o.timing.connectTimeoutMs,
        closeTimeoutMs: this.o.timing.closeTimeoutMs,
        onRefused: (status, headers) => this.o.refused(set, status, headers),
        onConversationRefused: (conversationId) => this.refusedConversations.add(conversationId),
        log: this.o.log,
      });
      const closed = new Promise<void>((resolve) => set.on('close', () => resolve()));
      this.o.adopt(set, token);
      set.connect();
      await closed;
    }
  }

  /**
   * Delivery's watch list changed while `set` is connected: open and close conversation sockets
   * to match, with a token good now. `isCurrent` says whether the set is still the link's.
   */
  follow(set: ConversationSockets, isCurrent: () => boolean): void {
    this.o.auth.freshAccessToken().then(
      (token) => {
        if (!this.isDisposed && isCurrent()) set.setConversations(this.conversations(), token);
      },
      (error: unknown) => {
        // The next reconnect opens them; the sockets that are open keep working meanwhile.
        const code = error instanceof AppError ? error.code : 'UNKNOWN_ERROR';
        this.o.log.warn(`legacy: could not open the newly watched conversations (${code})`);
      },
    );
  }

  dispose(): void {
    this.isDisposed = true;
  }

  private conversations(): string[] {
    return this.o.watched().filter((id) => !this.refusedConversations.has(id));
  }
}

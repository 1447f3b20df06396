import type { ServerLink } from '../src/main/core/link';
import { AppError } from '../src/shared/errors';

/** The link before any connection exists: never connected, nobody signed in. */
export const offlineLink: ServerLink = {
  currentUserId: () => null,
  capabilities: () => null,
  onDidConnect: () => () => undefined,
  onDidDisconnect: () => () => undefined,
  onFrame: () => () => undefined,
  sendFrame: () => false,
  request: () => Promise.reject(new AppError('NOT_SIGNED_IN')),
  requestParsed: () => Promise.reject(new AppError('NOT_SIGNED_IN')),
  watchConversations: () => undefined,
};

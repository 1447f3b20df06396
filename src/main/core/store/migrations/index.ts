import { migration0001 } from './0001-settings';
import { migration0002 } from './0002-messages';
import { migration0003 } from './0003-outbox';
import { migration0004 } from './0004-outbox-stopped';
import { migration0005 } from './0005-outbox-unsettled';
import { migration0006 } from './0006-message-changes';
import { migration0007 } from './0007-people';
import { migration0008 } from './0008-change-feed';
import { migration0009 } from './0009-search';
import { migration0010 } from './0010-message-intents';
import type { Migration } from './types';

export type { Migration } from './types';

/** In version order; a migration is never edited once it has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
  migration0010,
];

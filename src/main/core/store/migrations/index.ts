import { migration0001 } from './0001-settings';
import type { Migration } from './types';

export type { Migration } from './types';

/** In version order; a migration is never edited once it has shipped. */
export const MIGRATIONS: readonly Migration[] = [migration0001];

/** Whom a user may see, and people search over them (case- and accent-blind). */
import { stmt, type DB } from './statements';
import type { UserRow } from './users';

/** Lowercase, without diacritics: how names and queries are compared in people search. */
export function foldForSearch(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Whom a user may see: everyone of their organisation, and everyone they share a conversation
 * with. The one rule behind people search, and behind whom a conversation may be created with.
 */
const VISIBLE_TO = `(u.org_id = :org OR EXISTS (
    SELECT 1 FROM members mine JOIN members theirs ON theirs.conversation_id = mine.conversation_id
    WHERE mine.user_id = :viewer AND theirs.user_id = u.id))`;

export function canSeeUser(db: DB, viewer: UserRow, userId: string): boolean {
  if (viewer.id === userId) return true;
  return (
    stmt(db, `SELECT 1 FROM users u WHERE u.id = :id AND ${VISIBLE_TO}`).get({
      id: userId,
      org: viewer.org_id,
      viewer: viewer.id,
    }) !== undefined
  );
}

export type UserMatch = Readonly<{
  id: string;
  display_name: string;
  username: string;
  email: string;
  same_org: number;
}>;

function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * People `viewer` may see whose display name (or any word of it), username, or e-mail starts with
 * `query`, compared case- and accent-blind; the viewer excluded. E-mails are matched only for
 * people of the viewer's organisation, whose e-mails the viewer may see. `limit + 1` rows at
 * most, so the caller can tell whether there are more.
 */
export function searchUsers(db: DB, viewer: UserRow, query: string, limit: number): UserMatch[] {
  const folded = foldForSearch(query);
  return stmt(
    db,
    `SELECT u.id, COALESCE(u.display_name, u.username) AS display_name, u.username, u.email,
        u.org_id = :org AS same_org
     FROM users u
     WHERE u.id != :viewer AND ${VISIBLE_TO}
       AND (nova_fold(COALESCE(u.display_name, u.username)) LIKE :prefix ESCAPE '\\'
         OR nova_fold(COALESCE(u.display_name, u.username)) LIKE :word ESCAPE '\\'
         OR nova_fold(u.username) LIKE :prefix ESCAPE '\\'
         OR (u.org_id = :org AND nova_fold(u.email) LIKE :prefix ESCAPE '\\'))
     ORDER BY nova_fold(COALESCE(u.display_name, u.username)), u.id
     LIMIT :limit`,
  ).all({
    org: viewer.org_id,
    viewer: viewer.id,
    prefix: likePrefix(folded),
    word: `% ${likePrefix(folded)}`,
    limit: limit + 1,
  }) as UserMatch[];
}

/** People search (an extension): whom the caller may see, by name, username or e-mail. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  USER_SEARCH_LIMIT_DEFAULT,
  USER_SEARCH_LIMIT_MAX,
  USER_SEARCH_QUERY_MAX,
  type UserSearchResponse,
} from '../../src/shared/protocol';
import type { ServerContext } from '../core';
import { searchUsers } from '../db';
import { authenticate } from './access';
import { intParam } from './request';
import { HttpError, send } from './respond';

export async function searchPeople(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { token, rateHeaders } = await authenticate(ctx, req);
  const q = (url.searchParams.get('q') ?? '').trim();
  if (q === '') throw new HttpError('INVALID_INPUT', 'q is required');
  if ([...q].length > USER_SEARCH_QUERY_MAX) {
    throw new HttpError('INVALID_INPUT', `q is over ${USER_SEARCH_QUERY_MAX} characters`);
  }
  const limit = intParam(url, 'limit', { min: 1, max: USER_SEARCH_LIMIT_MAX }) ?? USER_SEARCH_LIMIT_DEFAULT;
  const rows = searchUsers(ctx.db, token.user, q, limit);
  const body: UserSearchResponse = {
    users: rows.slice(0, limit).map((u) => ({
      id: u.id,
      display_name: u.display_name,
      username: u.username,
      ...(u.same_org ? { email: u.email } : {}),
    })),
    has_more: rows.length > limit,
  };
  send(res, 200, body, rateHeaders);
}

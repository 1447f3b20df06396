/**
 * Offline full-text search over the local message cache: what the window asks and what the
 * core answers (`search:*` channels in contract.ts).
 */
import { z } from 'zod';

export const SEARCH_QUERY_MAX = 200;
export const SEARCH_LIMIT_MAX = 100;

export const SearchRequestSchema = z
  .object({
    query: z.string().max(SEARCH_QUERY_MAX),
    /** Null or absent: every conversation. */
    conversationId: z.string().min(1).max(200).nullable().optional(),
    limit: z.number().int().positive().max(SEARCH_LIMIT_MAX).optional(),
    /** `best` (the default): the best matches first, the newer of two alike first; `newest`: by time. */
    order: z.enum(['best', 'newest']).optional(),
  })
  .strict();

/** A part of a result's snippet; `hit` parts matched the query and are highlighted. */
export const SnippetPartSchema = z.object({ text: z.string(), hit: z.boolean() });
export type SnippetPart = z.infer<typeof SnippetPartSchema>;

export const SearchHitSchema = z.object({
  key: z.string(),
  conversationId: z.string(),
  senderId: z.string(),
  isOwn: z.boolean(),
  seq: z.number().int().nullable(),
  composedAt: z.number(),
  snippet: z.array(SnippetPartSchema),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

/** The background pass over a cache that held messages before the index existed. */
export const SearchIndexStatusSchema = z.object({
  indexed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  done: z.boolean(),
});
export type SearchIndexStatus = z.infer<typeof SearchIndexStatusSchema>;

export const SearchResultSchema = z.object({
  hits: z.array(SearchHitSchema),
  /** More matched than `limit`. */
  hasMore: z.boolean(),
  /** While the background pass runs, older messages may be missing from the hits. */
  index: SearchIndexStatusSchema,
});
export type SearchResult = z.infer<typeof SearchResultSchema>;

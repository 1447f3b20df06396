import { OTHER, type HttpEndpoint } from '../metrics/labels';

const CONVERSATION_ROUTES: ReadonlyArray<Readonly<{ pattern: RegExp; method: string; role: HttpEndpoint }>> = [
  { pattern: /^\/conversations$/, method: 'GET', role: 'conversations_list' },
  { pattern: /^\/conversations$/, method: 'POST', role: 'conversation_create' },
  { pattern: /^\/conversations\/[^/]+$/, method: 'GET', role: 'conversation_get' },
  { pattern: /^\/conversations\/[^/]+\/messages$/, method: 'GET', role: 'messages_list' },
  { pattern: /^\/conversations\/[^/]+\/messages$/, method: 'POST', role: 'messages_send' },
  { pattern: /^\/conversations\/[^/]+\/messages\/search$/, method: 'GET', role: 'messages_search' },
  { pattern: /^\/conversations\/[^/]+\/changes$/, method: 'GET', role: 'messages_changes' },
  { pattern: /^\/conversations\/[^/]+\/read$/, method: 'POST', role: 'messages_read' },
  { pattern: /^\/conversations\/[^/]+\/messages\/by-key\/[^/]+$/, method: 'PUT', role: 'message_change' },
  { pattern: /^\/conversations\/[^/]+\/messages\/by-key\/[^/]+$/, method: 'DELETE', role: 'message_change' },
  { pattern: /^\/messages\/[^/]+$/, method: 'PUT', role: 'message_change' },
  { pattern: /^\/messages\/[^/]+$/, method: 'DELETE', role: 'message_change' },
  { pattern: /^\/users\/search$/, method: 'GET', role: 'users_search' },
];

const AUTH_ROUTES: Readonly<Record<string, HttpEndpoint>> = {
  '/api/v1/auth/login': 'auth_login',
  '/api/v1/auth/2fa/verify': 'auth_2fa',
  '/api/v1/auth/refresh': 'auth_refresh',
  '/api/v1/auth/logout': 'auth_logout',
  '/health': 'health',
};

/**
 * The role of a REST call for the metrics' `endpoint` label. Paths carry conversation and
 * message ids, so the label is the route's role, never the path; an unknown route is `other`.
 */
export function endpointRole(method: string, path: string): HttpEndpoint | typeof OTHER {
  const route = (path.split('?')[0] ?? '').replace(/\/+$/, '') || '/';
  const fixed = AUTH_ROUTES[route];
  if (fixed !== undefined) return fixed;
  return CONVERSATION_ROUTES.find((candidate) => candidate.method === method && candidate.pattern.test(route))?.role ?? OTHER;
}

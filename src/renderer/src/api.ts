import type { NovaApi } from '../../shared/contract';
import { BugError } from '../../shared/errors';

let currentApi: NovaApi | null = null;

/** The api `connectBridge` was given: the preload's in the app, a scripted one in component tests. */
export function getApi(): NovaApi {
  if (!currentApi) throw new BugError('connectBridge() has not run');
  return currentApi;
}

export function setApi(api: NovaApi | null): void {
  currentApi = api;
}

import type { NovaApi } from '../shared/contract';

declare global {
  interface Window {
    readonly api: NovaApi;
  }
}

/**
 * `protocol` and `session`, following https://www.electronjs.org/docs/latest/api/protocol and
 * .../api/session:
 * - `registerSchemesAsPrivileged` only before `ready`, `handle` only after (both throw otherwise,
 *   as Electron does); a scheme is handled once;
 * - a test fetches `app://…` through the registered handler with a real `Request`;
 * - the default session keeps the permission handlers and the `onHeadersReceived` hook so a test
 *   can ask them what they decide.
 */
export type SchemePrivileges = Readonly<Record<string, boolean>>;
type Handler = (request: Request) => Response | Promise<Response>;

export class FakeProtocol {
  readonly privileged = new Map<string, SchemePrivileges>();
  private readonly handlers = new Map<string, Handler>();

  constructor(private readonly isReady: () => boolean) {}

  registerSchemesAsPrivileged(schemes: readonly { scheme: string; privileges?: SchemePrivileges }[]): void {
    if (this.isReady()) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    for (const { scheme, privileges } of schemes) this.privileged.set(scheme, privileges ?? {});
  }

  handle(scheme: string, handler: Handler): void {
    if (!this.isReady()) throw new Error('protocol.handle can only be used after the ready event');
    if (this.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    this.handlers.set(scheme, handler);
  }

  unhandle(scheme: string): void {
    this.handlers.delete(scheme);
  }

  isProtocolHandled(scheme: string): boolean {
    return this.handlers.has(scheme);
  }

  /** What the page would get for `url`. */
  async fetch(url: string, init?: RequestInit): Promise<Response> {
    const scheme = new URL(url).protocol.replace(/:$/, '');
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`net::ERR_UNKNOWN_URL_SCHEME (${scheme})`);
    return handler(new Request(url, init));
  }
}

type PermissionRequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void;
type PermissionCheckHandler = (webContents: unknown, permission: string, origin: string, details: unknown) => boolean;
type HeadersHook = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void,
) => void;

export class FakeSession {
  /** `session.fromPartition(partition, options)`: the name and options it was made with. */
  constructor(
    readonly partition = '',
    readonly options: Readonly<{ cache?: boolean }> = {},
  ) {}

  private permissionRequest: PermissionRequestHandler | null = null;
  private permissionCheck: PermissionCheckHandler | null = null;
  private headersHook: HeadersHook | null = null;
  readonly webRequest = {
    onHeadersReceived: (hook: HeadersHook | null) => {
      this.headersHook = hook;
    },
  };

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequest = handler;
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheck = handler;
  }

  // ---- test controls --------------------------------------------------------------------

  /** Electron grants every request when no handler is set. */
  requestPermission(permission: string): Promise<boolean> {
    const handler = this.permissionRequest;
    if (!handler) return Promise.resolve(true);
    return new Promise((resolve) => handler(null, permission, resolve, {}));
  }

  checkPermission(permission: string): boolean {
    return this.permissionCheck?.(null, permission, '', {}) ?? true;
  }

  /** The response headers a page from `url` ends up with. */
  responseHeaders(url: string, headers: Record<string, string[]> = {}): Record<string, string[]> {
    const hook = this.headersHook;
    if (!hook) return headers;
    let result = headers;
    hook({ url, responseHeaders: headers }, (response) => {
      result = response.responseHeaders ?? headers;
    });
    return result;
  }
}

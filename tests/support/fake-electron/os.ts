/**
 * The OS-facing modules: Notification, Tray, Menu, nativeImage, dialog, powerMonitor, net, shell
 * and safeStorage, each following its page under https://www.electronjs.org/docs/latest/api/.
 * They record what the shell asked for and let a test play the user or the OS.
 */
import { EventEmitter } from 'node:events';
import { Destroyable, FakeEvent } from './events';
import { FakeClientRequest, type ClientRequestOptions } from './net';

// ---- Notification (api/notification) ------------------------------------------------------

export type NotificationOptions = Readonly<{ title?: string; body?: string; silent?: boolean; groupId?: string }>;

/** The fake makes a subclass per instance that records what it creates and answers isSupported(). */
export class FakeNotification extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }

  readonly title: string;
  readonly body: string;
  readonly groupId: string | undefined;
  isShown = false;
  isClosed = false;

  constructor(readonly options: NotificationOptions = {}) {
    super();
    this.title = options.title ?? '';
    this.body = options.body ?? '';
    this.groupId = options.groupId;
  }

  show(): void {
    this.isShown = true;
    this.isClosed = false;
    this.emit('show', new FakeEvent());
  }

  /** Dismisses it; Electron emits `close`. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close', new FakeEvent());
  }

  /** The user clicks it. */
  click(): void {
    this.emit('click', new FakeEvent());
  }
}

// ---- nativeImage (api/native-image) -------------------------------------------------------

export class FakeNativeImage {
  constructor(
    readonly bitmap: Buffer,
    readonly width: number,
    readonly height: number,
    readonly scaleFactor: number,
  ) {}

  isEmpty(): boolean {
    return this.bitmap.length === 0;
  }

  getSize(): { width: number; height: number } {
    return { width: Math.round(this.width / this.scaleFactor), height: Math.round(this.height / this.scaleFactor) };
  }

  toBitmap(): Buffer {
    return Buffer.from(this.bitmap);
  }
}

export const fakeNativeImage = {
  createFromBitmap(buffer: Buffer, options: { width: number; height: number; scaleFactor?: number }): FakeNativeImage {
    if (buffer.length !== options.width * options.height * 4) {
      // Electron refuses a buffer whose size does not match width × height × 4.
      throw new Error('invalid buffer size');
    }
    return new FakeNativeImage(Buffer.from(buffer), options.width, options.height, options.scaleFactor ?? 1);
  },
  createEmpty(): FakeNativeImage {
    return new FakeNativeImage(Buffer.alloc(0), 0, 0, 1);
  },
};

// ---- Menu (api/menu) ----------------------------------------------------------------------

export type MenuItemTemplate = Readonly<{
  id?: string;
  label?: string;
  role?: string;
  type?: string;
  enabled?: boolean;
  accelerator?: string;
  click?: (...args: unknown[]) => void;
  submenu?: readonly MenuItemTemplate[];
}>;

/** The fake makes a subclass per instance that keeps its own application menu. */
export class FakeMenu {
  constructor(readonly items: readonly MenuItemTemplate[]) {}

  static buildFromTemplate(template: readonly MenuItemTemplate[]): FakeMenu {
    return new FakeMenu(template);
  }

  /** Depth-first search by id or label. */
  find(idOrLabel: string): MenuItemTemplate | undefined {
    const walk = (items: readonly MenuItemTemplate[]): MenuItemTemplate | undefined => {
      for (const item of items) {
        if (item.id === idOrLabel || item.label === idOrLabel) return item;
        const inner = item.submenu ? walk(item.submenu) : undefined;
        if (inner) return inner;
      }
      return undefined;
    };
    return walk(this.items);
  }

  /** The user picks the item; disabled items cannot be clicked. */
  click(idOrLabel: string): void {
    const item = this.find(idOrLabel);
    if (!item) throw new Error(`no menu item ${idOrLabel}`);
    if (item.enabled === false) throw new Error(`menu item ${idOrLabel} is disabled`);
    item.click?.(item, undefined, {});
  }
}

// ---- Tray (api/tray) ----------------------------------------------------------------------

export class FakeTray extends Destroyable {
  image: FakeNativeImage;
  toolTip = '';
  menu: FakeMenu | null = null;

  constructor(image: FakeNativeImage) {
    super();
    this.image = image;
  }

  setImage(image: FakeNativeImage): void {
    this.alive();
    this.image = image;
  }

  setToolTip(toolTip: string): void {
    this.alive();
    this.toolTip = toolTip;
  }

  setContextMenu(menu: FakeMenu | null): void {
    this.alive();
    this.menu = menu;
  }

  destroy(): void {
    this.destroyed = true;
  }

  /** The user clicks the icon (Windows; Linux trays only open the menu). */
  click(): void {
    this.emit('click', new FakeEvent(), { x: 0, y: 0, width: 16, height: 16 });
  }
}

// ---- dialog (api/dialog) ------------------------------------------------------------------

export type MessageBoxOptions = Readonly<{
  message: string;
  detail?: string;
  type?: string;
  title?: string;
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
  signal?: AbortSignal;
}>;

/** One open message box; a test answers it by button label. */
export class OpenMessageBox {
  answered: string | null = null;
  wasAborted = false;
  private resolveWith!: (response: number) => void;
  readonly result: Promise<{ response: number; checkboxChecked: boolean }>;

  constructor(
    readonly options: MessageBoxOptions,
    readonly parent: unknown,
  ) {
    this.result = new Promise((resolve) => {
      this.resolveWith = (response) => resolve({ response, checkboxChecked: false });
    });
    // "the message box will behave as if it was cancelled by the user" (MessageBoxOptions.signal)
    options.signal?.addEventListener('abort', () => {
      if (this.answered !== null) return;
      this.wasAborted = true;
      this.answered = '(aborted)';
      this.resolveWith(this.cancelIndex());
    });
    if (options.signal?.aborted) {
      this.wasAborted = true;
      this.answered = '(aborted)';
      this.resolveWith(this.cancelIndex());
    }
  }

  get isOpen(): boolean {
    return this.answered === null;
  }

  answer(label: string): void {
    const index = (this.options.buttons ?? ['OK']).indexOf(label);
    if (index < 0) throw new Error(`no button "${label}" in ${JSON.stringify(this.options.buttons)}`);
    if (!this.isOpen) throw new Error(`the box "${this.options.message}" is closed`);
    this.answered = label;
    this.resolveWith(index);
  }

  /** Escape or the window's close button. */
  cancel(): void {
    if (!this.isOpen) return;
    this.answered = '(cancelled)';
    this.resolveWith(this.cancelIndex());
  }

  private cancelIndex(): number {
    return this.options.cancelId ?? 0;
  }
}

export class FakeDialog {
  readonly boxes: OpenMessageBox[] = [];
  readonly errorBoxes: { title: string; content: string }[] = [];
  readonly saveDialogs: unknown[] = [];
  savePath: string | null = null;
  private readonly scripted: ((box: OpenMessageBox) => string | null)[] = [];
  private readonly waiters: ((box: OpenMessageBox) => void)[] = [];

  /** Answers the next box with this button (or a function choosing one; null leaves it open). */
  answerNext(answer: string | ((box: OpenMessageBox) => string | null)): void {
    this.scripted.push(typeof answer === 'string' ? () => answer : answer);
  }

  /** Resolves with the next box that opens (or the oldest open one). */
  nextBox(): Promise<OpenMessageBox> {
    const open = this.boxes.find((box) => box.isOpen);
    if (open) return Promise.resolve(open);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  openBoxes(): OpenMessageBox[] {
    return this.boxes.filter((box) => box.isOpen);
  }

  showMessageBox(...args: [MessageBoxOptions] | [unknown, MessageBoxOptions]): Promise<{ response: number; checkboxChecked: boolean }> {
    const [parent, options] = args.length === 1 ? [null, args[0]] : args;
    if (parent !== null && (parent as { isDestroyed?: () => boolean }).isDestroyed?.()) {
      throw new TypeError('Object has been destroyed');
    }
    const box = new OpenMessageBox(options, parent);
    this.boxes.push(box);
    const script = this.scripted.shift();
    const label = script?.(box) ?? null;
    if (label !== null) queueMicrotask(() => box.answer(label));
    for (const waiter of this.waiters.splice(0)) waiter(box);
    return box.result;
  }

  showMessageBoxSync(): number {
    throw new Error('fake dialog: showMessageBoxSync blocks the main process; the shell must not use it');
  }

  showErrorBox(title: string, content: string): void {
    this.errorBoxes.push({ title, content });
  }

  showSaveDialog(...args: unknown[]): Promise<{ canceled: boolean; filePath: string }> {
    this.saveDialogs.push(args.at(-1));
    return Promise.resolve({ canceled: this.savePath === null, filePath: this.savePath ?? '' });
  }
}

// ---- powerMonitor (api/power-monitor) -------------------------------------------------------

export class FakePowerMonitor extends EventEmitter {
  suspend(): void {
    this.emit('suspend');
  }

  resume(): void {
    this.emit('resume');
  }

  lockScreen(): void {
    this.emit('lock-screen');
  }

  unlockScreen(): void {
    this.emit('unlock-screen');
  }

  /** Linux and macOS: the system is about to shut down or log out. */
  shutdown(): void {
    this.emit('shutdown', new FakeEvent());
  }
}

// ---- net (api/net) ------------------------------------------------------------------------

export class FakeNet {
  online = true;
  /** Every request made, in order (the updater's feed and download requests). */
  readonly requests: FakeClientRequest[] = [];

  constructor(private readonly isReady: () => boolean = () => true) {}

  isOnline(): boolean {
    return this.online;
  }

  /** Electron's `net` module can only be used after the app is ready. */
  request(options: ClientRequestOptions | string): FakeClientRequest {
    if (!this.isReady()) throw new Error('net module can only be used after app is ready');
    const request = new FakeClientRequest(options);
    this.requests.push(request);
    return request;
  }
}

// ---- autoUpdater (api/auto-updater) -------------------------------------------------------

/**
 * Electron's built-in updater (Squirrel on macOS and Windows, nothing on Linux). The shell never
 * drives it; electron-updater emits `before-quit-for-update` on it before quitting to install.
 */
export class FakeAutoUpdater extends EventEmitter {
  readonly emitted: string[] = [];

  override emit(name: string | symbol, ...args: unknown[]): boolean {
    this.emitted.push(String(name));
    return super.emit(name, ...args);
  }
}

// ---- shell (api/shell) --------------------------------------------------------------------

export class FakeShell {
  readonly openedExternally: string[] = [];
  readonly revealed: string[] = [];
  readonly openedPaths: string[] = [];

  openExternal(url: string): Promise<void> {
    this.openedExternally.push(url);
    return Promise.resolve();
  }

  showItemInFolder(file: string): void {
    this.revealed.push(file);
  }

  openPath(folder: string): Promise<string> {
    this.openedPaths.push(folder);
    return Promise.resolve('');
  }
}

// ---- safeStorage (api/safe-storage) ---------------------------------------------------------

/**
 * What safeStorage reports on Linux: `basic_text` when no key store was recognised (it still
 * "encrypts", with a key hard-coded in Chromium), `unknown` before `ready`. On macOS and Windows
 * the backend call does not exist; the fake answers `os` there only for bookkeeping.
 */
export type StorageBackend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown' | 'os';

export class FakeSafeStorage {
  /** Everything encrypted, so a test can check nothing was written in clear. */
  readonly encryptedValues: string[] = [];

  constructor(
    private readonly state: { backend: StorageBackend; encryptionAvailable: boolean; isReady: () => boolean },
  ) {}

  private key(): number {
    return 0x5a;
  }

  isEncryptionAvailable(): boolean {
    return this.state.isReady() && this.state.encryptionAvailable;
  }

  isAsyncEncryptionAvailable(): Promise<boolean> {
    return Promise.resolve(this.isEncryptionAvailable());
  }

  getSelectedStorageBackend(): StorageBackend {
    return this.state.isReady() ? this.state.backend : 'unknown';
  }

  encryptString(plain: string): Buffer {
    if (!this.isEncryptionAvailable()) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    this.encryptedValues.push(plain);
    return Buffer.from(Buffer.from(`v10${plain}`, 'utf8').map((byte) => byte ^ this.key()));
  }

  decryptString(encrypted: Buffer): string {
    if (!this.isEncryptionAvailable()) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.');
    const plain = Buffer.from(encrypted.map((byte) => byte ^ this.key())).toString('utf8');
    if (!plain.startsWith('v10')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return plain.slice(3);
  }

  encryptStringAsync(plain: string): Promise<Buffer> {
    return Promise.resolve().then(() => this.encryptString(plain));
  }

  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    return Promise.resolve().then(() => ({ result: this.decryptString(encrypted), shouldReEncrypt: false }));
  }

  setUsePlainTextEncryption(_usePlainText: boolean): void {}
}

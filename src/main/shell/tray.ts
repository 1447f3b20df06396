/**
 * The tray icon (Windows, Linux): unread count and connection state on the icon and in the
 * tooltip, and a menu with Open, the state, Retry now and Quit. Electron's classes are passed
 * in, so this runs against the test double as it does against Electron.
 */
import type { Menu as ElectronMenu, MenuItemConstructorOptions, Tray as ElectronTray, nativeImage as ElectronNativeImage } from 'electron';
import { sameStatus, type StatusView } from './status';
import { drawTrayIcon } from './tray-icon';

export type TrayPorts = Readonly<{
  Tray: new (image: Electron.NativeImage) => ElectronTray;
  Menu: Pick<typeof ElectronMenu, 'buildFromTemplate'>;
  nativeImage: Pick<typeof ElectronNativeImage, 'createFromBitmap'>;
  onOpen(): void;
  onRetry(): void;
  onQuit(): void;
}>;

/** The tray menu for a status, as a template (tested as data). */
export function trayMenuTemplate(view: StatusView, actions: Pick<TrayPorts, 'onOpen' | 'onRetry' | 'onQuit'>): MenuItemConstructorOptions[] {
  const unread = view.unread === 0 ? '' : ` (${view.unread} unread)`;
  return [
    { id: 'open', label: `Open Nova${unread}`, click: () => actions.onOpen() },
    { id: 'state', label: view.label, enabled: false },
    { id: 'retry', label: 'Retry now', enabled: view.canRetry, click: () => actions.onRetry() },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Nova', click: () => actions.onQuit() },
  ];
}

export class StatusTray {
  private readonly tray: ElectronTray;
  private shown: StatusView | null = null;

  constructor(
    private readonly ports: TrayPorts,
    initial: StatusView,
  ) {
    this.tray = new ports.Tray(this.image(initial));
    // Windows opens on a click; Linux trays show the menu instead (AppIndicator has no click).
    this.tray.on('click', () => ports.onOpen());
    this.update(initial);
  }

  update(view: StatusView): void {
    if (sameStatus(this.shown, view)) return;
    if (this.shown !== null) this.tray.setImage(this.image(view));
    this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(this.ports.Menu.buildFromTemplate(trayMenuTemplate(view, this.ports)));
    this.shown = view;
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private image(view: StatusView): Electron.NativeImage {
    const { bitmap, width, height, scaleFactor } = drawTrayIcon(view.link, view.badgeText);
    return this.ports.nativeImage.createFromBitmap(bitmap, { width, height, scaleFactor });
  }
}

/** The OS side of diagnostics: the save dialog and the file manager, with Electron passed in. */
import path from 'node:path';
import type { BaseWindow, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import type { DesktopPort } from '../core/diagnostics';

export type DesktopPortDeps = Readonly<{
  dialog: { showSaveDialog(...args: [SaveDialogOptions] | [BaseWindow, SaveDialogOptions]): Promise<SaveDialogReturnValue> };
  shell: { showItemInFolder(file: string): void; openPath(folder: string): Promise<string> };
  downloadsFolder(): string;
  visibleWindow(): BaseWindow | null;
}>;

export function createDesktopPort(deps: DesktopPortDeps): DesktopPort {
  return {
    async chooseSavePath(defaultName) {
      const options: SaveDialogOptions = {
        defaultPath: path.join(deps.downloadsFolder(), defaultName),
        filters: [{ name: 'Zip archive', extensions: ['zip'] }],
      };
      const window = deps.visibleWindow();
      const result = window ? await deps.dialog.showSaveDialog(window, options) : await deps.dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    revealFile: (file) => deps.shell.showItemInFolder(file),
    async openFolder(folder) {
      const error = await deps.shell.openPath(folder);
      if (error) throw new Error(error);
    },
  };
}

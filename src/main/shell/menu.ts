/** The application menu, as a template: every item either has a role or sends a command to the page. */
import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../../shared/contract';
import type { ShellPlatform } from './lifecycle';

type PageCommand = Exclude<AppCommand, { command: 'open-conversation' }>['command'];

export function menuTemplate(platform: ShellPlatform, send: (command: PageCommand) => void): MenuItemConstructorOptions[] {
  const settings: MenuItemConstructorOptions = { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: () => send('open-settings') };
  const appMenu: MenuItemConstructorOptions[] =
    platform === 'darwin'
      ? [
          {
            label: 'Nova',
            submenu: [
              { role: 'about' },
              { type: 'separator' },
              settings,
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          },
          { role: 'fileMenu' },
        ]
      : [{ label: 'File', submenu: [settings, { type: 'separator' }, { role: 'quit' }] }];
  return [
    ...appMenu,
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Outbox', accelerator: 'CmdOrCtrl+Shift+O', click: () => send('open-outbox') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [
        { label: 'Help and support', click: () => send('open-help') },
        { label: 'Collect diagnostics…', click: () => send('collect-diagnostics') },
      ],
    },
  ];
}

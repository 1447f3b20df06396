/**
 * The shell's message boxes: their text as data (tested), and one adapter that shows them with
 * Electron's asynchronous `dialog.showMessageBox`, attached to the window only when the window
 * is visible (a sheet on a hidden window would be invisible).
 */
import type { BaseWindow, MessageBoxOptions, MessageBoxReturnValue } from 'electron';
import type { QuitChoice, SendingChoice } from './quit-guard';

export type DialogLike = Readonly<{
  showMessageBox(...args: [MessageBoxOptions] | [BaseWindow, MessageBoxOptions]): Promise<MessageBoxReturnValue>;
}>;

function messages(count: number): string {
  return count === 1 ? '1 message is' : `${count} messages are`;
}

export const QUIT_BUTTONS: readonly { label: string; choice: QuitChoice }[] = [
  { label: 'Send first', choice: 'send-first' },
  { label: 'Quit anyway', choice: 'quit-anyway' },
  { label: 'Stay', choice: 'stay' },
];

export function quitQuestion(pending: number, waitMs: number): MessageBoxOptions {
  return {
    type: 'question',
    title: 'Quit Nova',
    message: `${messages(pending)} not sent yet`,
    detail:
      `They are saved on this computer either way.\n\n` +
      `Send first: Nova sends them, then quits (it waits at most ${Math.round(waitMs / 1000)} seconds).\n` +
      `Quit anyway: Nova sends them the next time it opens.`,
    buttons: QUIT_BUTTONS.map((button) => button.label),
    defaultId: 0,
    // Escape or closing the box means "Stay": nothing happens that the user did not ask for.
    cancelId: 2,
    noLink: true,
  };
}

export const SENDING_BUTTONS: readonly { label: string; choice: SendingChoice }[] = [
  { label: 'Quit now', choice: 'quit-now' },
  { label: "Don't quit", choice: 'stay' },
];

export function sendingNotice(pending: number, waitMs: number): MessageBoxOptions {
  return {
    type: 'info',
    title: 'Quit Nova',
    message: `Sending ${pending === 1 ? '1 message' : `${pending} messages`}…`,
    detail:
      `Nova quits as soon as ${pending === 1 ? 'it is' : 'they are'} sent, or after ${Math.round(waitMs / 1000)} seconds at most. ` +
      `Anything not sent by then stays saved and goes out the next time Nova opens.`,
    buttons: SENDING_BUTTONS.map((button) => button.label),
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  };
}

export type DialogPorts = Readonly<{
  dialog: DialogLike;
  /** The window to attach to, if it is on screen. */
  visibleWindow(): BaseWindow | null;
}>;

async function show(ports: DialogPorts, options: MessageBoxOptions): Promise<number> {
  const parent = ports.visibleWindow();
  const result = parent ? await ports.dialog.showMessageBox(parent, options) : await ports.dialog.showMessageBox(options);
  return result.response;
}

export async function askQuit(ports: DialogPorts, pending: number, waitMs: number, signal: AbortSignal): Promise<QuitChoice> {
  const response = await show(ports, { ...quitQuestion(pending, waitMs), signal });
  return QUIT_BUTTONS[response]?.choice ?? 'stay';
}

export async function showSending(ports: DialogPorts, pending: number, waitMs: number, signal: AbortSignal): Promise<SendingChoice> {
  const response = await show(ports, { ...sendingNotice(pending, waitMs), signal });
  return SENDING_BUTTONS[response]?.choice ?? 'stay';
}

export async function inform(ports: DialogPorts, options: Readonly<{ message: string; detail: string }>): Promise<void> {
  await show(ports, { type: 'info', title: 'Nova', message: options.message, detail: options.detail, buttons: ['OK'], noLink: true });
}

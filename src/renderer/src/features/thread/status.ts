import type { MessageState } from '../../../../shared/contract';

type StateText = Readonly<{ symbol: string; label: string; description: string }>;

/** How each delivery state reads under an own message; the description is the hover and the timeline head. */
export const MESSAGE_STATE_TEXT: Readonly<Record<MessageState, StateText>> = {
  saved: { symbol: '○', label: 'Saved', description: 'Saved on this computer; it will be sent when the connection allows.' },
  sending: { symbol: '↗', label: 'Sending…', description: 'On its way to the server.' },
  confirming: { symbol: '↻', label: 'Confirming…', description: 'Sent, but the server has not confirmed it yet; Nova is checking without sending it twice.' },
  sent: { symbol: '✓', label: 'Sent', description: 'The server has it.' },
  failed: { symbol: '⚠', label: 'Not sent', description: 'The server refused it. Retry, or discard it.' },
  expired: { symbol: '⊘', label: 'Expired', description: 'It could not be sent in time. Send it again, or discard it.' },
  held: { symbol: '‖', label: 'Held', description: 'Written a while ago while offline; it waits for you to confirm before it goes out.' },
  cancel_pending: {
    symbol: '⊘',
    label: 'Cancel requested — settles when back online',
    description: 'It may already be on the server, so Nova asks the server when the connection returns. It is not sent meanwhile.',
  },
  edit_pending: {
    symbol: '✎',
    label: 'Edit saved — applies when back online',
    description: 'It may already be on the server with the old text; the new text is applied when the connection returns. It is not sent meanwhile.',
  },
};

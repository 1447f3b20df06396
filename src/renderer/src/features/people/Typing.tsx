import { shortUserId } from '../../../../shared/people';
import { useAppStore } from '../../store';

/** "Bob is typing…", "Bob and Carol are typing…", "3 people are typing…"; polite, so it never interrupts. */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

export function TypingIndicator({ conversationId }: Readonly<{ conversationId: string }>): React.JSX.Element {
  const userIds = useAppStore((s) => s.typing[conversationId]);
  const members = useAppStore((s) => s.conversations[conversationId]?.members);
  const names = (userIds ?? []).map((id) => {
    const name = members?.find((m) => m.userId === id)?.displayName;
    return name ? (name.split(/\s+/u)[0] ?? name) : shortUserId(id);
  });
  return (
    <p className="typing-indicator muted" aria-live="polite" data-testid="typing-indicator">
      {typingText(names)}
    </p>
  );
}

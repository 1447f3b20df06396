import { initials } from '../../../../shared/people';

/** A stable hue per name, so the same person keeps one colour everywhere. */
function hueOf(name: string): number {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return hash;
}

/** Initials on a coloured disc; decorative, since the name is always written next to it. */
export function Avatar({ name, isGroup = false, size = 32 }: Readonly<{ name: string; isGroup?: boolean; size?: number }>): React.JSX.Element {
  return (
    <span
      className={`avatar${isGroup ? ' avatar-group' : ''}`}
      aria-hidden="true"
      data-testid="avatar"
      style={{ width: size, height: size, fontSize: Math.round(size * 0.4), ['--avatar-hue' as string]: String(hueOf(name)) }}
    >
      {initials(name)}
    </span>
  );
}

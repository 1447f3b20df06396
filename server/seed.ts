/**
 * Demo data: three users, a direct conversation and a group, with a little history.
 * Carol has TOTP on, so her sign-in exercises the 202 + 2fa/verify path.
 */
import { hashSecret, newBackupCode, newTotpSecret } from './auth';
import {
  createConversation,
  getUserByEmail,
  insertBackupCodes,
  insertUser,
  sendMessage,
} from './db';
import type { DB } from './db';

export const DEMO_PASSWORD = 'nova-dev-password';
export const DEMO_EMAILS = {
  alice: 'alice@nova.local',
  bob: 'bob@nova.local',
  carol: 'carol@nova.local',
} as const;

export type SeedResult = Readonly<{
  /** False when the database already held the demo users; backup codes are then unknown. */
  created: boolean;
  users: Readonly<{ alice: string; bob: string; carol: string }>;
  conversations: Readonly<{ direct: string; team: string }>;
  carol: Readonly<{ totpSecret: string; backupCodes: ReadonlyArray<string> }>;
}>;

export type SeedOptions = Readonly<{ bcryptRounds?: number; now?: () => number }>;

export function seedDemo(db: DB, options: SeedOptions = {}): SeedResult {
  const rounds = options.bcryptRounds ?? 10;
  const now = options.now ?? Date.now;
  const iso = (): string => new Date(now()).toISOString();

  const existing = getUserByEmail(db, DEMO_EMAILS.alice);
  if (existing) return describeExisting(db);

  const passwordHash = hashSecret(DEMO_PASSWORD, rounds);
  const totpSecret = newTotpSecret();
  const alice = insertUser(db, { email: DEMO_EMAILS.alice, username: 'alice', passwordHash, now: iso() });
  const bob = insertUser(db, { email: DEMO_EMAILS.bob, username: 'bob', passwordHash, now: iso() });
  const carol = insertUser(db, {
    email: DEMO_EMAILS.carol,
    username: 'carol',
    passwordHash,
    totpSecret,
    now: iso(),
  });
  const backupCodes = Array.from({ length: 8 }, () => newBackupCode());
  insertBackupCodes(
    db,
    carol.id,
    backupCodes.map((c) => hashSecret(c, rounds)),
  );

  const direct = createConversation(db, {
    type: 'direct',
    name: null,
    memberIds: [alice.id, bob.id],
    now: iso(),
  });
  const team = createConversation(db, {
    type: 'group',
    name: 'Team',
    memberIds: [alice.id, bob.id, carol.id],
    now: iso(),
  });
  const history: ReadonlyArray<readonly [string, string, string]> = [
    [direct.id, alice.id, 'Hi Bob, are you around?'],
    [direct.id, bob.id, 'Yes! What is up?'],
    [direct.id, alice.id, 'Lunch at noon?'],
    [team.id, carol.id, 'Welcome to the Team channel.'],
    [team.id, alice.id, 'Stand-up moved to 10:00.'],
    [team.id, bob.id, 'Noted, thanks.'],
  ];
  for (const [conversationId, senderId, plaintext] of history) {
    sendMessage(db, {
      conversationId,
      senderId,
      plaintext,
      idempotencyKey: null,
      clientSeq: null,
      deviceId: null,
      now: iso(),
    });
  }
  return {
    created: true,
    users: { alice: alice.id, bob: bob.id, carol: carol.id },
    conversations: { direct: direct.id, team: team.id },
    carol: { totpSecret, backupCodes },
  };
}

function describeExisting(db: DB): SeedResult {
  const get = (email: string) => {
    const u = getUserByEmail(db, email);
    if (!u) throw new Error(`seedDemo: partial seed, ${email} is missing`);
    return u;
  };
  const alice = get(DEMO_EMAILS.alice);
  const bob = get(DEMO_EMAILS.bob);
  const carol = get(DEMO_EMAILS.carol);
  const direct = db
    .prepare(
      `SELECT c.id FROM conversations c JOIN members a ON a.conversation_id = c.id AND a.user_id = ?
       JOIN members b ON b.conversation_id = c.id AND b.user_id = ? WHERE c.type = 'direct'
       ORDER BY c.created_at LIMIT 1`,
    )
    .pluck()
    .get(alice.id, bob.id) as string;
  const team = db
    .prepare(`SELECT id FROM conversations WHERE type = 'group' AND name = 'Team' ORDER BY created_at LIMIT 1`)
    .pluck()
    .get() as string;
  return {
    created: false,
    users: { alice: alice.id, bob: bob.id, carol: carol.id },
    conversations: { direct, team },
    carol: { totpSecret: carol.totp_secret ?? '', backupCodes: [] },
  };
}

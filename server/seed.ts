/**
 * Demo data: five people with display names, a direct conversation and two groups, with a
 * little history. Carol has TOTP on, so her sign-in exercises the 202 + 2fa/verify path.
 *
 * Alice, Bob, Carol and Dave are one organisation; Erin is a partner from another one, who
 * shares only the "Design review" group (with Carol and Dave): Carol and Dave can find her by
 * name, Alice and Bob cannot find her at all (docs/protocol.md §3.6). Alice and Bob have
 * exactly the conversations they always had (the direct one and "Team"), which tests rely on.
 */
import { hashSecret, newBackupCode, newTotpSecret } from './auth';
import {
  createConversation,
  getUserByEmail,
  insertBackupCodes,
  insertUser,
  sendMessage,
} from './db';
import type { DB, UserRow } from './db';
import { DEMO_PASSWORD } from '../src/shared/demo';

export { DEMO_PASSWORD };
export const DEMO_EMAILS = {
  alice: 'alice@nova.local',
  bob: 'bob@nova.local',
  carol: 'carol@nova.local',
  dave: 'dave@nova.local',
  erin: 'erin@partner.example',
} as const;

export const DEMO_DISPLAY_NAMES = {
  alice: 'Alice Martin',
  bob: 'Bob Chen',
  carol: 'Carol Diaz',
  dave: 'Dave Okafor',
  erin: 'Erin Walsh',
} as const;

/** The organisation of the four colleagues; Erin's is PARTNER_ORG_ID. */
export const DEMO_ORG_ID = 'nova';
export const PARTNER_ORG_ID = 'partner';

type Person = keyof typeof DEMO_EMAILS;

export type SeedResult = Readonly<{
  /** False when the database already held the demo users; backup codes are then unknown. */
  created: boolean;
  users: Readonly<Record<Person, string>>;
  conversations: Readonly<{ direct: string; team: string; design: string }>;
  carol: Readonly<{ totpSecret: string; backupCodes: ReadonlyArray<string> }>;
}>;

export type SeedOptions = Readonly<{ bcryptRounds?: number; now?: () => number }>;

const DESIGN_GROUP = 'Design review';

export function seedDemo(db: DB, options: SeedOptions = {}): SeedResult {
  const rounds = options.bcryptRounds ?? 10;
  const now = options.now ?? Date.now;
  const iso = (): string => new Date(now()).toISOString();
  let passwordHash: string | null = null;
  const hash = (): string => (passwordHash ??= hashSecret(DEMO_PASSWORD, rounds));
  const say = (conversationId: string, senderId: string, plaintext: string): void => {
    sendMessage(db, {
      conversationId,
      senderId,
      plaintext,
      idempotencyKey: null,
      clientSeq: null,
      deviceId: null,
      now: iso(),
    });
  };

  const created = getUserByEmail(db, DEMO_EMAILS.alice) === undefined;
  let carolSecrets: SeedResult['carol'] = { totpSecret: '', backupCodes: [] };
  if (created) {
    const totpSecret = newTotpSecret();
    const person = (who: Person, extra: { totpSecret?: string } = {}): UserRow =>
      insertUser(db, {
        email: DEMO_EMAILS[who],
        username: who,
        displayName: DEMO_DISPLAY_NAMES[who],
        orgId: DEMO_ORG_ID,
        passwordHash: hash(),
        ...extra,
        now: iso(),
      });
    const alice = person('alice');
    const bob = person('bob');
    const carol = person('carol', { totpSecret });
    const backupCodes = Array.from({ length: 8 }, () => newBackupCode());
    insertBackupCodes(
      db,
      carol.id,
      backupCodes.map((c) => hashSecret(c, rounds)),
    );
    carolSecrets = { totpSecret, backupCodes };

    const direct = createConversation(db, { type: 'direct', name: null, memberIds: [alice.id, bob.id], now: iso() });
    const team = createConversation(db, {
      type: 'group',
      name: 'Team',
      memberIds: [alice.id, bob.id, carol.id],
      now: iso(),
    });
    say(direct.id, alice.id, 'Hi Bob, are you around?');
    say(direct.id, bob.id, 'Yes! What is up?');
    say(direct.id, alice.id, 'Lunch at noon?');
    say(team.id, carol.id, 'Welcome to the Team channel.');
    say(team.id, alice.id, 'Stand-up moved to 10:00.');
    say(team.id, bob.id, 'Noted, thanks.');
  }
  const alice = existing(db, 'alice');
  const carol = existing(db, 'carol');
  if (!created) carolSecrets = { totpSecret: carol.totp_secret ?? '', backupCodes: [] };

  // Dave, Erin and their group came later: a database seeded before them gets them now.
  if (getUserByEmail(db, DEMO_EMAILS.dave) === undefined) {
    const dave = insertUser(db, {
      email: DEMO_EMAILS.dave,
      username: 'dave',
      displayName: DEMO_DISPLAY_NAMES.dave,
      orgId: DEMO_ORG_ID,
      passwordHash: hash(),
      now: iso(),
    });
    const erin = insertUser(db, {
      email: DEMO_EMAILS.erin,
      username: 'erin',
      displayName: DEMO_DISPLAY_NAMES.erin,
      orgId: PARTNER_ORG_ID,
      passwordHash: hash(),
      now: iso(),
    });
    const design = createConversation(db, {
      type: 'group',
      name: DESIGN_GROUP,
      memberIds: [carol.id, dave.id, erin.id],
      now: iso(),
    });
    say(design.id, erin.id, 'The new mock-ups are in the shared folder.');
    say(design.id, dave.id, 'Thanks Erin, looking now.');
    say(design.id, carol.id, 'Can we go over them on Thursday?');
  }
  // An older seed gave its people no display names or organisation.
  for (const who of Object.keys(DEMO_EMAILS) as Person[]) {
    db.prepare('UPDATE users SET display_name = ? WHERE email = ? AND display_name IS NULL').run(
      DEMO_DISPLAY_NAMES[who],
      DEMO_EMAILS[who],
    );
    if (who !== 'erin') {
      db.prepare("UPDATE users SET org_id = ? WHERE email = ? AND org_id = 'default'").run(DEMO_ORG_ID, DEMO_EMAILS[who]);
    }
  }

  const bob = existing(db, 'bob');
  const dave = existing(db, 'dave');
  const erin = existing(db, 'erin');
  const direct = db
    .prepare(
      `SELECT c.id FROM conversations c JOIN members a ON a.conversation_id = c.id AND a.user_id = ?
       JOIN members b ON b.conversation_id = c.id AND b.user_id = ? WHERE c.type = 'direct'
       ORDER BY c.created_at LIMIT 1`,
    )
    .pluck()
    .get(alice.id, bob.id) as string;
  const group = (name: string): string =>
    db
      .prepare(`SELECT id FROM conversations WHERE type = 'group' AND name = ? ORDER BY created_at LIMIT 1`)
      .pluck()
      .get(name) as string;
  return {
    created,
    users: { alice: alice.id, bob: bob.id, carol: carol.id, dave: dave.id, erin: erin.id },
    conversations: { direct, team: group('Team'), design: group(DESIGN_GROUP) },
    carol: carolSecrets,
  };
}

function existing(db: DB, who: Person): UserRow {
  const u = getUserByEmail(db, DEMO_EMAILS[who]);
  if (!u) throw new Error(`seedDemo: partial seed, ${DEMO_EMAILS[who]} is missing`);
  return u;
}

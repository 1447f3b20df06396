import { z } from 'zod';

const ClaimsSchema = z.object({
  sub: z.string(),
  exp: z.number(),
  email: z.string().optional(),
  username: z.string().optional(),
});
export type AccessClaims = z.infer<typeof ClaimsSchema>;

/**
 * Reads the claims of a token we were just given by our own server over TLS. No signature
 * check: the client only needs `sub` and `exp` to schedule a refresh; the server verifies.
 */
export function readClaims(token: string): AccessClaims | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const json: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const parsed = ClaimsSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

import { describe, expect, it } from 'vitest';
import { countPlaceholders, createRedactor, describeMessage, redactText } from '../../../src/main/core/logging';
import * as s from '../../support/secrets';

describe('redaction', () => {
  it('masks each kind in free text and counts it', () => {
    const cases: Array<[string, string, string]> = [
      [`token ${s.ACCESS_JWT}`, 'jwt', s.ACCESS_JWT],
      [`Authorization: Bearer abc.def-ghi`, 'authorization', 'abc.def-ghi'],
      [`upgrade Bearer abcdefghi`, 'bearer_token', 'abcdefghi'],
      [`password=${s.PASSWORD}`, 'password', s.PASSWORD],
      [`{"password": "${s.PASSWORD_WITH_SPACES}"}`, 'password', 'horse'],
      [`client_secret: ${s.SECRET_KEY}`, 'secret', s.SECRET_KEY],
      [`code=${s.TOTP_CODE}`, 'code', s.TOTP_CODE],
      [`backup_code ${'='} ${s.BACKUP_CODE}`, 'code', s.BACKUP_CODE],
      [`mail ${s.EMAIL}`, 'email', s.EMAIL],
      [`call ${s.PHONE}`, 'phone', '010 9999'],
      [`call ${s.PHONE_2}`, 'phone', '010-4477'],
      [`call ${s.PHONE_3}`, 'phone', '7700900123'],
      [`opaque ${s.OPAQUE_TOKEN}`, 'token', s.OPAQUE_TOKEN],
      [`proxy https://ann:pw@example.org`, 'url_credentials', 'ann:pw'],
      [`Cookie: sid=abc; theme=dark`, 'cookie', 'sid=abc'],
      [`${s.HOME}/Documents/a.txt`, 'home_path', s.HOME],
      [`ws frame {"type":"message","text":"${s.MESSAGE_TEXT}"}`, 'message_text', 'north gate'],
      [`login password = ${s.PASSWORD} next`, 'password', '3-horse'],
      [`GET /cb?code=${s.TOTP_CODE}&state=abc`, 'code', s.TOTP_CODE],
    ];
    for (const [input, kind, secret] of cases) {
      const result = redactText(input, { homeDir: s.HOME });
      expect(result.text, input).not.toContain(secret);
      expect(result.counts, input).toMatchObject({ [kind]: 1 });
    }
  });

  it('leaves ordinary diagnostics alone', () => {
    const ordinary = [
      '2026-11-28T10:00:00.000Z reconnect attempt 3 in 1200 ms (RTT 45 ms)',
      'code=TOKEN_EXPIRED status 401 close code: 4001 uuid 3f2b8c4e-1234-4abc-9def-0123456789ab',
      'server http://127.0.0.1:8787 sha 0123456789abcdef0123456789abcdef01234567 token_type: Bearer',
      'at Object.<anonymous> (/opt/nova/resources/app.asar/out/main/index.js:12:34)',
      'outbox: 12 saved, 3 sending, oldest 86400000 ms, E-1A2B3C4D',
    ];
    for (const line of ordinary) expect(redactText(line, { homeDir: s.HOME }).text).toBe(line);
  });

  it('masks by key in objects, keeping error codes', () => {
    const redactor = createRedactor({ homeDir: s.HOME });
    const out = redactor.value({
      email: s.EMAIL,
      password: s.PASSWORD,
      tokens: { accessToken: s.ACCESS_JWT, refresh_token: s.REFRESH_JWT },
      code: 'RATE_LIMITED',
      text: s.MESSAGE_TEXT,
      nested: [{ backupCodes: [s.BACKUP_CODE] }],
      when: new Date(0),
    });
    const json = JSON.stringify(out);
    for (const secret of s.SECRETS) expect(json).not.toContain(secret);
    expect(out).toMatchObject({ code: 'RATE_LIMITED', password: '[masked:password]', when: '1970-01-01T00:00:00.000Z' });
    expect(redactor.counts()).toMatchObject({ email: 1, password: 1, token: 1, message_text: 1, code: 1 });
  });

  it('counts placeholders in text that was redacted earlier', () => {
    expect(countPlaceholders('a [masked:email] b [masked:email] [masked:jwt] [masked:nonsense]')).toEqual({ email: 2, jwt: 1 });
  });

  it('describes a message by key and length only', () => {
    expect(describeMessage('k-1', s.MESSAGE_TEXT)).toBe(`message k-1 (${s.MESSAGE_TEXT.length} chars)`);
  });
});

// The stored form of a profile's device tokens: one secret holding a map from account id to
// token, and the bare token an older one-account profile kept there.

import { describe, expect, it } from 'vitest';
import { parseAccountTokens, serializeAccountTokens } from '../../src-main/profile/accountTokens.js';

describe('account tokens in the secret store', () => {
  it('round-trips the tokens of several accounts', () => {
    const tokens = new Map([
      ['a2222222222222222', 'token-of-bob'],
      ['a1111111111111111', 'token-of-ann'],
    ]);
    const parsed = parseAccountTokens(serializeAccountTokens(tokens));
    expect(parsed.legacy).toBeUndefined();
    expect(Object.fromEntries(parsed.tokens)).toEqual(Object.fromEntries(tokens));
  });

  it('reads the bare token of an older profile as legacy, and nothing as no tokens', () => {
    expect(parseAccountTokens('b64url-token_123\n')).toEqual({ tokens: new Map(), legacy: 'b64url-token_123' });
    expect(parseAccountTokens(undefined)).toEqual({ tokens: new Map(), legacy: undefined });
    expect(parseAccountTokens('  ')).toEqual({ tokens: new Map(), legacy: undefined });
  });

  it('treats a damaged or foreign secret as no tokens (every account signed out), never as a token', () => {
    expect(parseAccountTokens('{"format":"cairn-account-tokens","tokens":')).toEqual({ tokens: new Map(), legacy: undefined });
    expect(parseAccountTokens('{"something":"else"}')).toEqual({ tokens: new Map(), legacy: undefined });
    expect(parseAccountTokens('{"format":"cairn-account-tokens","tokens":{"a1":7,"a2":"ok","a3":""}}').tokens).toEqual(new Map([['a2', 'ok']]));
  });
});

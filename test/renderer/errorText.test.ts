// Every error code of the contract has its own sentence, in both languages.

import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, CONNECT_CAUSES, SyncApiError } from '../../shared/api/index.js';
import { en } from '../../src-renderer/i18n/en.js';
import { zhCN } from '../../src-renderer/i18n/zhCN.js';
import { connectCauseMessage, errorMessageKey, showsDetail, toApiError } from '../../src-renderer/state/errorText.js';

describe('errorMessageKey', () => {
  it.each(API_ERROR_CODES)('%s has a message in both languages', (code) => {
    for (const context of ['login', 'operation'] as const) {
      const key = errorMessageKey(code, context);
      expect(en[key]).toBeTruthy();
      expect(zhCN[key]).toBeTruthy();
    }
  });

  it('says something different for each failure of a login', () => {
    const codes = ['wrong-password', 'unreachable', 'not-cairn-server', 'certificate', 'invalid-argument', 'rate-limited', 'unavailable'] as const;
    const texts = codes.map((code) => en[errorMessageKey(code, 'login')]);
    expect(new Set(texts).size).toBe(codes.length);
  });

  it.each([
    { code: 'unreachable', login: 'error.unreachable.login', operation: 'error.unreachable' },
    { code: 'invalid-argument', login: 'error.invalidArgument.login', operation: 'error.invalidArgument' },
    { code: 'wrong-password', login: 'error.wrongPassword', operation: 'error.wrongPassword' },
  ] as const)('$code reads differently on the connect screen', ({ code, login, operation }) => {
    expect(errorMessageKey(code, 'login')).toBe(login);
    expect(errorMessageKey(code, 'operation')).toBe(operation);
  });

  it.each([
    { code: 'wrong-password', shown: false },
    { code: 'unauthorized', shown: false },
    { code: 'conflict', shown: true },
    { code: 'unreachable', shown: true },
  ] as const)('the service detail of $code is shown: $shown', ({ code, shown }) => {
    expect(showsDetail(code)).toBe(shown);
  });
});

describe('toApiError', () => {
  it('keeps a SyncApiError', () => {
    const error = new SyncApiError('conflict', 'overlaps');
    expect(toApiError(error)).toBe(error);
  });

  it('turns anything else into an internal error with its message', () => {
    expect(toApiError(new TypeError('boom'))).toMatchObject({ code: 'internal', message: 'boom' });
    expect(toApiError('plain')).toMatchObject({ code: 'internal', message: 'plain' });
  });
});

describe('connectCauseMessage', () => {
  it.each(CONNECT_CAUSES)('%s has its own sentence in both languages, naming the address', (cause) => {
    const shown = connectCauseMessage(new SyncApiError('unreachable', 'x', { cause }), 'https://cairn.example.com:8443/sync');
    expect(shown).not.toBeNull();
    expect(en[shown!.key]).toBeTruthy();
    expect(zhCN[shown!.key]).toBeTruthy();
    expect(shown!.params).toEqual({ place: 'cairn.example.com:8443', host: 'cairn.example.com', path: '/sync', origin: 'https://cairn.example.com:8443' });
  });

  it('every cause reads differently', () => {
    const texts = CONNECT_CAUSES.map((cause) => en[connectCauseMessage(new SyncApiError('unreachable', 'x', { cause }), 'http://a')!.key]);
    expect(new Set(texts).size).toBe(CONNECT_CAUSES.length);
  });

  it('is null for an error without a cause, or with an unknown one', () => {
    expect(connectCauseMessage(new SyncApiError('wrong-password', 'x'), 'http://a')).toBeNull();
    expect(connectCauseMessage(new SyncApiError('unreachable', 'x', { cause: 'gremlins' }), 'http://a')).toBeNull();
  });
});

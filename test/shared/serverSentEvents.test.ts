import { describe, expect, it } from 'vitest';
import { EventTooLongError, ServerSentEventParser } from '../../shared/serverSentEvents.js';

describe('ServerSentEventParser', () => {
  const cases: { name: string; pieces: string[]; events: string[] }[] = [
    { name: 'one event', pieces: ['data: {"a":1}\n\n'], events: ['{"a":1}'] },
    { name: 'heartbeat comments yield nothing', pieces: [': ping\n\n', 'data: x\n\n'], events: ['x'] },
    { name: 'an event split across reads', pieces: ['da', 'ta: {"b"', ':2}\n', '\n'], events: ['{"b":2}'] },
    { name: 'several events in one read', pieces: ['data: 1\n\ndata: 2\n\n'], events: ['1', '2'] },
    { name: 'multi-line data joins with newlines', pieces: ['data: a\ndata: b\n\n'], events: ['a\nb'] },
    { name: 'CRLF line endings', pieces: ['data: crlf\r\n\r\n'], events: ['crlf'] },
    { name: 'only one leading space is stripped', pieces: ['data:  two\n\n'], events: [' two'] },
    { name: 'an unfinished event waits', pieces: ['data: half\n'], events: [] },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const parser = new ServerSentEventParser();
      expect(testCase.pieces.flatMap((piece) => parser.push(piece))).toEqual(testCase.events);
    });
  }

  it('refuses an event longer than its limit instead of holding it', () => {
    const parser = new ServerSentEventParser(16);
    expect(parser.push('data: 0123456789\n\n')).toEqual(['0123456789']);
    expect(() => parser.push('data: 0123456789ab')).toThrow(EventTooLongError);
  });

  it('keeps any number of events each within the limit', () => {
    const parser = new ServerSentEventParser(16);
    expect(parser.push('data: 1\n\n'.repeat(100))).toHaveLength(100);
  });
});

// Splitting a text/event-stream into the data of its events: the server's change events and
// the daemon's control events use the same format. Pure: callers decode bytes to text (with a
// streaming decoder, so a character split across two reads stays whole) and push the text.

export class ServerSentEventParser {
  private pending = '';

  /** `maxEventLength`: the longest event (in UTF-16 units) it holds; a longer one is an error, never memory. */
  constructor(private readonly maxEventLength = Number.POSITIVE_INFINITY) {}

  /** Adds text and returns the data of every event it completes; comments (heartbeats) yield nothing. */
  push(text: string): string[] {
    this.pending += text.replace(/\r\n?/g, '\n');
    const events: string[] = [];
    let boundary: number;
    while ((boundary = this.pending.indexOf('\n\n')) >= 0) {
      const block = this.pending.slice(0, boundary);
      this.pending = this.pending.slice(boundary + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data.length > 0) events.push(data);
    }
    if (this.pending.length > this.maxEventLength) {
      this.pending = '';
      throw new EventTooLongError(this.maxEventLength);
    }
    return events;
  }
}

/** An event longer than the parser holds (a broken or hostile sender). */
export class EventTooLongError extends Error {
  override readonly name = 'EventTooLongError';
  constructor(readonly maxEventLength: number) {
    super(`an event is longer than ${maxEventLength} characters`);
  }
}

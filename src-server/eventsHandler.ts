// The server-sent event stream of `GET /api/v1/events`: a `ready` event with the head of every
// library the caller can see, then a `commit` event after every commit to one of them and a
// `library` event when one is created, changed, shared or unshared; a heartbeat comment keeps
// the stream alive. The caller's token is re-checked at every heartbeat, so a revoked device
// stops hearing events within one heartbeat.

import type { Routes, ServerEvent } from '../shared/protocol/index.js';
import { startStream } from './httpIo.js';
import type { NotifierEvent } from './notifier.js';
import type { Handler } from './router.js';

export const eventsHandler: Handler<Routes['events']> = async ({ services, caller, response }) => {
  let visible = new Set<string>();
  // Events are written in order; a library event first refreshes what the caller can see.
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  const send = (event: ServerEvent) => {
    if (!closed && !response.destroyed) response.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const refreshVisible = async () => {
    const libraries = await services.store.libraries.listFor(caller.userId, 'live');
    visible = new Set(libraries.map((library) => library.id));
    return libraries;
  };
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error: unknown) => {
      console.error('cairn-server: event stream failed', error);
      finish();
    });
  };
  const onEvent = (event: NotifierEvent) => {
    switch (event.kind) {
      case 'commit':
        enqueue(async () => {
          if (visible.has(event.libraryId)) send({ kind: 'commit', libraryId: event.libraryId, headSeq: event.headSeq });
        });
        break;
      case 'library':
        if (!event.userIds.includes(caller.userId)) break;
        enqueue(async () => {
          await refreshVisible();
          send({ kind: 'library', libraryId: event.libraryId });
        });
        break;
      default:
        throw new Error(`unhandled notifier event: ${JSON.stringify(event satisfies never)}`);
    }
  };

  const unsubscribe = services.notifier.subscribe(onEvent);
  const heartbeat = setInterval(() => {
    enqueue(async () => {
      if ((await services.store.tokens.findByHash(caller.tokenHash)) === null) finish();
      else if (!closed) response.write(': heartbeat\n\n');
    });
  }, services.eventsHeartbeatMs);
  const unregister = services.onShutdown(() => finish());
  function finish() {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    unregister();
    response.end();
  }
  response.once('close', finish);

  startStream(response, 'text/event-stream; charset=utf-8', { Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  // Subscribed first, so no commit can fall between the heads below and the events after them.
  enqueue(async () => {
    const libraries = await refreshVisible();
    send({ kind: 'ready', heads: libraries.map((library) => ({ libraryId: library.id, headSeq: library.headSeq })) });
  });
  return 'streamed';
};

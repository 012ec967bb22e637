// The two parts of undici the server client uses, an Agent and request(), loaded without the
// rest of the package: its index also loads fetch, WebSocket, EventSource, caches, mocks and
// proxies, 110 modules against ~30, which every `cairn` command paid for at start (~80 ms of
// CPU). Same code, same behaviour: request() below is what undici's own request(url, options)
// does, dispatching through the given Agent. They are imported by path, statically, so that
// the command's bundle (scripts/bundleCli.mjs) holds them and V8's code cache covers them
// (loaded from node_modules at run time, their compile cost a command ~25 ms more).

import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

export const Agent = AgentClass;
export type Agent = UndiciAgent;

/** undici's request(url, { dispatcher, ... }): one request to `url` through `dispatcher`. */
export function request(url: string, options: RequestOptions & { readonly dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return apiRequest.call(dispatcher, { ...rest, origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname } as Dispatcher.RequestOptions);
}

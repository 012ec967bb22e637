// The two parts of undici the server client uses, an Agent and request(), loaded without the
// rest of the package: its index also loads fetch, WebSocket, EventSource, caches, mocks and
// proxies, 110 modules against 31, which every `cairn` command paid for at start (~80 ms of
// CPU). Same code, same behaviour: request() below is what undici's own request(url, options)
// does, dispatching through the given Agent.

import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

type AgentClass = typeof UndiciAgent;
type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;
interface UndiciApi {
  request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}

export const Agent = require('undici/lib/dispatcher/agent.js') as AgentClass;
export type Agent = UndiciAgent;
const api = require('undici/lib/api/index.js') as UndiciApi;

/** undici's request(url, { dispatcher, ... }): one request to `url` through `dispatcher`. */
export function request(url: string, options: RequestOptions & { readonly dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return api.request.call(dispatcher, { ...rest, origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname } as Dispatcher.RequestOptions);
}

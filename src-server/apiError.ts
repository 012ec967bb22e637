// An expected failure of a request, answered with its error code. Anything else thrown while
// handling a request is a bug: it is logged with its stack and answered `internal`.

import type { ErrorCode } from '../shared/protocol/index.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, such as Retry-After. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

// Whether the tests run under CI (CI=true), where a missing service is a failure rather than a
// reason to skip.

export const ON_CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

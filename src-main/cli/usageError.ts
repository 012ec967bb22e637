// The one error of a command line that does not make sense: the CLI prints it with the usage
// and exits 2.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

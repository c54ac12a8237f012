/** A configuration problem: the CLI exits with code 2 and prints the message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

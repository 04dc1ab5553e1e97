/**
 * What the media library needs of a logger; a pino logger is one. The library never creates a
 * logger of its own: without one, failures still reach the caller as errors, just unlogged.
 */
export interface MediaLogger {
  warn(obj: object, msg: string): void;
}

/**
 * The request itself cannot be carried out (a range with no frame, a path ffmpeg cannot be given,
 * an input with no duration): running it again would fail the same way, so a worker fails the job
 * at once instead of retrying, and the API answers 422.
 */
export class MediaInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MediaInputError';
  }
}

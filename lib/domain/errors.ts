/** Base of every error certwarden raises on purpose: the CLI prints `message` alone, never a stack. */
export class CertwardenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that hold no readable certificate. */
export class CertificateParseError extends CertwardenError {}

/** A configuration value that does not validate; the message names the field. */
export class ConfigError extends CertwardenError {}

/** A certificate source could not be read (after its own retries). */
export class SourceReadError extends CertwardenError {}

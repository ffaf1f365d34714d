/** Base of every error certwarden raises on purpose: the CLI prints `message` alone, never a stack. */
export class CertwardenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that hold no readable certificate. */
export class CertificateParseError extends CertwardenError {}

/**
 * A PKCS#12 file (.p12/.pfx) that none of the passwords tried opens: `password needed` when no password was
 * given (only the empty one and none were tried), `wrong password` when the given ones were tried too.
 */
export class Pkcs12PasswordError extends CertificateParseError {
  readonly reason: 'password needed' | 'wrong password';

  constructor(message: string, reason: 'password needed' | 'wrong password', options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** A configuration value that does not validate; the message names the field. */
export class ConfigError extends CertwardenError {}

/** A certificate source could not be read (after its own retries). */
export class SourceReadError extends CertwardenError {}

/**
 * An OCSP response or CRL that cannot be trusted or read (bad signature, unauthorized responder, wrong nonce,
 * expired), or a responder that could not be reached: the check falls back to the next way, and when none is
 * left the status is `unknown` with this message as its reason.
 */
export class RevocationCheckError extends CertwardenError {}

/** The CA refused a revocation (or could not be reached): nothing was revoked. The message names the CA's answer. */
export class RevocationRefusedError extends CertwardenError {}
/** A Certificate Transparency log could not be read (unreachable, an HTTP error, an answer that is not RFC 6962). */
export class CtLogError extends CertwardenError {}

/**
 * The CLI's exit codes: one scheme for every command, as README's "Exit codes" states (gh and git script the
 * same way: a non-zero code a script can tell apart from a crash).
 */
export const EXIT = {
  /** Done, nothing to act on. */
  ok: 0,
  /**
   * Done, with something a script must act on: unreadable files among the inputs of `inspect`, a sync with
   * errors or an incomplete listing, violations at or above `--fail-on`, alerts or a digest a target refused
   * (retried next run), or a fingerprint or place `policy explain` does not find.
   */
  findings: 1,
  /**
   * Could not run: a usage error (unknown command or option, a bad value), an invalid configuration or policy,
   * an inventory that cannot be opened, an input `policy check` could not read (a gate cannot pass what it could not
   * judge), or an unexpected failure (the message says which).
   */
  error: 2,
  /**
   * `revoke` of a certificate no configured ACM Private CA issued (a dry run's too): recorded and announced, but
   * still valid until its issuing CA revokes it, which certwarden cannot make it do.
   */
  issuerMustRevoke: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

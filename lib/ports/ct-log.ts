/**
 * A Certificate Transparency log as the monitor reads it (RFC 6962 §4.3 get-sth, §4.6 get-entries). The HTTP
 * adapter talks to real logs; the tests serve a local one. Errors are the adapter's CtLogError, naming the log.
 */

/** The log's signed tree head: how many entries it holds now. */
export interface SignedTreeHead {
  treeSize: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  rootHash: Uint8Array;
  /** TLS DigitallySigned (RFC 5246 §4.7) over the tree head. */
  signature: Uint8Array;
}

/** One entry as the log serves it: a MerkleTreeLeaf and the chain it was submitted with. */
export interface RawCtEntry {
  leafInput: Uint8Array;
  extraData: Uint8Array;
}

export interface CtLog {
  /** The log's configured name. */
  readonly name: string;
  /** The log's base URL: its identity, under which its position is kept. */
  readonly url: string;
  /** Entries asked for per getEntries. */
  readonly batchSize: number;
  getSth(signal?: AbortSignal): Promise<SignedTreeHead>;
  /**
   * Entries `start` to `end` inclusive, in order from `start`. A log may return fewer than asked (its own page
   * limit), never more.
   */
  getEntries(start: number, end: number, signal?: AbortSignal): Promise<RawCtEntry[]>;
}

/**
 * Where the monitor is in each log: the index of the next entry to read. Moves are conditional, so two pollers of
 * one log never both move it past the same entries, and a restart resumes where the last stored move left it.
 */
export interface CtPositions {
  /** The next entry to read of the log at `url`; undefined when it was never polled. */
  position(url: string): Promise<number | undefined>;
  /**
   * Moves the log's position from `from` (undefined: none stored yet) to `to`. False when the stored position is
   * no longer `from` (another poller moved it): nothing is written then.
   */
  advance(url: string, from: number | undefined, to: number, treeSize: number): Promise<boolean>;
}

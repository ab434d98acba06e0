import type { Entry, HardState, Message, ReadState, Snapshot, SoftState } from './types'

/**
 * Ready is everything the core wants done, as one batch. The runner must, in order:
 * 1. send `messagesBeforePersist` (a leader's appends and heartbeats: followers may write them
 *    before the leader does, Raft thesis §10.2.1);
 * 2. persist `snapshot`, then `entries` (writing index i discards every persisted index >= i),
 *    then `hardState`, and make them durable (fsync);
 * 3. send `messages` (votes and acknowledgements that promise what was just persisted);
 * 4. restore `snapshot` into the state machine, then apply `committedEntries` in order;
 * 5. call `advance(ready)`.
 */
export interface Ready {
  /** Set when leader or role changed since the previous Ready. */
  readonly softState?: SoftState
  /** Set when term or vote changed; must be durable before `messages` are sent. */
  readonly hardState?: HardState
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[]
  /** A snapshot received from the leader, to persist and restore. */
  readonly snapshot?: Snapshot
  /** Committed, durable entries to apply to the state machine, in index order. */
  readonly committedEntries: readonly Entry[]
  /** Messages that may be sent before this Ready is persisted. */
  readonly messagesBeforePersist: readonly Message[]
  /** Messages that must wait until this Ready is durable. */
  readonly messages: readonly Message[]
  /** ReadIndex requests now confirmed: serve each once `index` is applied. */
  readonly readStates: readonly ReadState[]
  /** ReadIndex request ids that failed because this replica lost (or never had) leadership. */
  readonly droppedReads: readonly number[]
}

/** isEmptyReady tells whether a Ready carries nothing to do. */
export function isEmptyReady(rd: Ready): boolean {
  return (
    rd.softState === undefined &&
    rd.hardState === undefined &&
    rd.snapshot === undefined &&
    rd.entries.length === 0 &&
    rd.committedEntries.length === 0 &&
    rd.messages.length === 0 &&
    rd.messagesBeforePersist.length === 0 &&
    rd.readStates.length === 0 &&
    rd.droppedReads.length === 0
  )
}

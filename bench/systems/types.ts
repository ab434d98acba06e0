import type { Params } from '../lib/types'

/**
 * LogSystem is what the produce, consume and backlog workloads need from a system: write N
 * messages in sends of a batch, and read N messages back from the beginning.
 */

export interface ProduceOptions {
  /** count messages, taken from the message pool in order. */
  count: number
  /** batchSize messages per send (one producer, acks=1 or the peer's equivalent). */
  batchSize: number
  /** deadlineMs (a `nowMs()` value) stops the loop early; the result says how many were sent. */
  deadlineMs: number
  /** untimed marks a fill whose speed is not measured (a system may then write its fastest way). */
  untimed?: boolean
}

export interface LogSession {
  /** produce writes messages and resolves when all are acknowledged; returns how many were sent. */
  produce(options: ProduceOptions): Promise<number>
  /**
   * consume reads from the beginning, touching every value, until `count` messages are seen or
   * the deadline passes; returns how many were seen.
   */
  consume(count: number, deadlineMs: number): Promise<number>
  /** close flushes and releases everything (stopping the system's server, if it has one). */
  close(): Promise<void>
  /** serverPeakRssBytes is the peak RSS of the system's server process; 0 for in-process systems. */
  serverPeakRssBytes(): number
}

export interface LogSystem {
  readonly name: string
  /** persistent systems can be closed and opened again over the same `dir`. */
  readonly persistent: boolean
  /**
   * open starts the system over `dir`; throws SkipError when it cannot run on this machine.
   * `params` are the task's (Tributary reads its profile from them; the peers ignore them).
   */
  open(dir: string, params?: Params): Promise<LogSession>
}

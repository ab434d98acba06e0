import { entryBytes } from './log'
import type { Message } from './types'

/**
 * ReorderBuffer holds, on a follower, appends of its current leader that arrived before the
 * appends they follow (a network that reorders: the leader pipelines several appends, and a later
 * one can overtake an earlier one). Refusing them would send the leader back to probing and make
 * it send the whole window again; held, they are taken in order as soon as the gap fills. A
 * buffered append is handled exactly as a late delivery of it would be, so safety is unchanged.
 *
 * Only appends the leader marked as pipelined are held, and only from a leader whose pipeline
 * this follower joined (it accepted one of its appends in this term). It is bounded (appends and
 * entry bytes, the sizes of a leader's in-flight window). Probes, empty appends (a leader asking
 * whether the follower holds everything sent) and appends that do not fit are refused as before,
 * so a real loss is still reported to the leader.
 */
export class ReorderBuffer {
  private held: Message[] = []
  private bytes = 0

  constructor(
    private readonly maxMsgs: number,
    private readonly maxBytes: number,
  ) {}

  /** hold keeps `m` if it fits; returns whether it did. */
  hold(m: Message): boolean {
    if (m.entries.length === 0 || this.held.length >= this.maxMsgs) return false
    let bytes = 0
    for (const e of m.entries) bytes += entryBytes(e)
    if (this.held.length > 0 && this.bytes + bytes > this.maxBytes) return false
    this.held.push(m)
    this.bytes += bytes
    return true
  }

  /** takeReady removes and returns a held append whose previous index is at most `lastIndex`. */
  takeReady(lastIndex: number): Message | undefined {
    const k = this.held.findIndex((m) => m.index <= lastIndex)
    if (k < 0) return undefined
    const [m] = this.held.splice(k, 1)
    for (const e of m!.entries) this.bytes -= entryBytes(e)
    return m
  }

  clear(): void {
    this.held = []
    this.bytes = 0
  }

  get size(): number {
    return this.held.length
  }
}

import type { Message } from '../core/types'

const TYPE_NAMES = ['', 'App', 'AppResp', 'Vote', 'VoteResp', 'PreVote', 'PreVoteResp', 'Heartbeat', 'HeartbeatResp', 'Snap', 'TimeoutNow']

/** describeMessage renders a message on one line for traces. */
export function describeMessage(m: Message): string {
  const parts = [`${TYPE_NAMES[m.type] ?? m.type} ${m.from}->${m.to} t${m.term}`]
  if (m.index !== 0 || m.logTerm !== 0) parts.push(`i${m.index} lt${m.logTerm}`)
  if (m.commit !== 0) parts.push(`c${m.commit}`)
  if (m.entries.length > 0) parts.push(`[${m.entries.map((e) => `${e.index}/t${e.term}`).join(' ')}]`)
  if (m.reject) parts.push(`REJECT hint ${m.rejectHint}/t${m.logTerm}`)
  if (m.context !== 0) parts.push(`ctx${m.context}`)
  if (m.snapshot !== undefined) parts.push(`snap ${m.snapshot.meta.index}/t${m.snapshot.meta.term}`)
  return parts.join(' ')
}

/**
 * Trace keeps the last `capacity` simulation events, formatted lazily so that recording costs
 * almost nothing on the (common) passing run.
 */
export class Trace {
  private readonly times: number[] = []
  private readonly events: (string | (() => string))[] = []
  private next = 0
  private total = 0

  constructor(
    private readonly capacity: number,
    private readonly echo = false,
  ) {}

  add(time: number, event: string | (() => string)): void {
    if (this.echo) console.log(`${time}\t${typeof event === 'string' ? event : event()}`)
    this.times[this.next] = time
    this.events[this.next] = event
    this.next = (this.next + 1) % this.capacity
    this.total++
  }

  /** dump returns the recorded events, oldest first, one per line. */
  dump(): string {
    const n = Math.min(this.total, this.capacity)
    const lines: string[] = []
    for (let k = 0; k < n; k++) {
      const i = (this.next - n + k + this.capacity) % this.capacity
      const e = this.events[i]!
      lines.push(`${this.times[i]}\t${typeof e === 'string' ? e : e()}`)
    }
    return lines.join('\n')
  }
}

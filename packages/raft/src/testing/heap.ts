/** EventQueue is a binary min-heap of events by (time, insertion order), so ties replay deterministically. */
export class EventQueue<T> {
  private readonly items: { time: number; seq: number; value: T }[] = []
  private seq = 0

  get size(): number {
    return this.items.length
  }

  push(time: number, value: T): void {
    const items = this.items
    items.push({ time, seq: this.seq++, value })
    let i = items.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(i, p)) break
      ;[items[i], items[p]] = [items[p]!, items[i]!]
      i = p
    }
  }

  pop(): { time: number; value: T } | undefined {
    const items = this.items
    const top = items[0]
    if (top === undefined) return undefined
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < items.length && this.less(l, m)) m = l
        if (r < items.length && this.less(r, m)) m = r
        if (m === i) break
        ;[items[i], items[m]] = [items[m]!, items[i]!]
        i = m
      }
    }
    return top
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!
    const y = this.items[b]!
    return x.time < y.time || (x.time === y.time && x.seq < y.seq)
  }
}

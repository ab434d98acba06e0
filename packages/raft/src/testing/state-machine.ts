import type { Entry } from '../core/types'
import { EntryType } from '../core/types'

/**
 * HashStateMachine is the simulated application: its whole state is a rolling FNV-1a hash over
 * the applied normal entries, so two replicas agree on state iff they applied the same entries,
 * and a snapshot is 16 bytes.
 */
export class HashStateMachine {
  applied = 0
  hash = 0x811c9dc5

  apply(e: Entry): void {
    if (e.index !== this.applied + 1) throw new Error(`state machine gap: applying ${e.index} after ${this.applied}`)
    this.applied = e.index
    if (e.type !== EntryType.Normal || e.data.byteLength === 0) return
    let h = this.hash
    for (const b of e.data) h = Math.imul(h ^ b, 0x01000193) >>> 0
    this.hash = Math.imul(h ^ (e.index & 0xff), 0x01000193) >>> 0
  }

  encode(): Uint8Array {
    const out = new Uint8Array(16)
    const v = new DataView(out.buffer)
    v.setFloat64(0, this.applied, true)
    v.setUint32(8, this.hash, true)
    return out
  }

  restore(index: number, data: Uint8Array): void {
    if (data.byteLength === 0) {
      this.applied = index
      this.hash = 0x811c9dc5
      return
    }
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
    this.applied = v.getFloat64(0, true)
    this.hash = v.getUint32(8, true)
    if (this.applied !== index) throw new Error(`snapshot data at ${this.applied} labelled ${index}`)
  }
}

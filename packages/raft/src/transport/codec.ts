import type { Entry, EntryType, Membership, Message, MessageType, Snapshot } from '../core/types'

/**
 * Binary layout of one Raft message (all integers little-endian; "num" is a float64 so that
 * terms and indexes stay exact up to 2^53):
 *
 *   u8 type | u8 flags (bit0 reject, bit1 has snapshot) | u32 from | u32 to
 *   num term | num logTerm | num index | num commit | num rejectHint | num context
 *   u32 entryCount | entryCount × (num index | num term | u8 type | u32 len | len bytes)
 *   [snapshot: num index | num term | u32 nVoters | u32… | u32 nLearners | u32… | u32 len | bytes]
 */
const HEADER_BYTES = 1 + 1 + 4 + 4 + 6 * 8 + 4
const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4

/** encodedMessageBytes is the exact size `encodeMessage` will produce. */
export function encodedMessageBytes(m: Message): number {
  let n = HEADER_BYTES
  for (const e of m.entries) n += ENTRY_HEADER_BYTES + e.data.byteLength
  if (m.snapshot !== undefined) {
    const { voters, learners } = m.snapshot.meta.membership
    n += 8 + 8 + 4 + voters.length * 4 + 4 + learners.length * 4 + 4 + m.snapshot.data.byteLength
  }
  return n
}

/** Writer appends fixed-size fields to a preallocated buffer. */
class Writer {
  private readonly view: DataView
  pos: number
  constructor(
    readonly buf: Uint8Array,
    start = 0,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
  }
  u8(v: number): void {
    this.view.setUint8(this.pos, v)
    this.pos += 1
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true)
    this.pos += 4
  }
  num(v: number): void {
    this.view.setFloat64(this.pos, v, true)
    this.pos += 8
  }
  bytes(b: Uint8Array): void {
    this.u32(b.byteLength)
    this.buf.set(b, this.pos)
    this.pos += b.byteLength
  }
}

/** Reader consumes what Writer wrote; out-of-range reads throw (a corrupt frame). */
class Reader {
  private readonly view: DataView
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  u8(): number {
    return this.view.getUint8(this.pos++)
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }
  num(): number {
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }
  bytes(): Uint8Array {
    const len = this.u32()
    if (this.pos + len > this.buf.byteLength) throw new RangeError('truncated frame')
    // Copy so that a decoded message never aliases the (reused) receive buffer.
    const out = this.buf.slice(this.pos, this.pos + len)
    this.pos += len
    return out
  }
}

/** writeMessage encodes `m` into `buf` at `offset`; returns the offset after it. */
export function writeMessage(m: Message, buf: Uint8Array, offset: number): number {
  const w = new Writer(buf, offset)
  w.u8(m.type)
  w.u8((m.reject ? 1 : 0) | (m.snapshot !== undefined ? 2 : 0))
  w.u32(m.from)
  w.u32(m.to)
  for (const v of [m.term, m.logTerm, m.index, m.commit, m.rejectHint, m.context]) w.num(v)
  w.u32(m.entries.length)
  for (const e of m.entries) {
    w.num(e.index)
    w.num(e.term)
    w.u8(e.type)
    w.bytes(e.data)
  }
  if (m.snapshot !== undefined) {
    const { meta, data } = m.snapshot
    w.num(meta.index)
    w.num(meta.term)
    for (const ids of [meta.membership.voters, meta.membership.learners]) {
      w.u32(ids.length)
      for (const id of ids) w.u32(id)
    }
    w.bytes(data)
  }
  return w.pos
}

/** encodeMessage encodes one message into a fresh buffer. */
export function encodeMessage(m: Message): Uint8Array {
  const buf = new Uint8Array(encodedMessageBytes(m))
  writeMessage(m, buf, 0)
  return buf
}

/** readMessage decodes a message at `offset`; returns it with the offset after it. */
export function readMessage(buf: Uint8Array, offset: number): { message: Message; end: number } {
  const r = new Reader(buf, offset)
  const type = r.u8() as MessageType
  const flags = r.u8()
  const from = r.u32()
  const to = r.u32()
  const [term, logTerm, index, commit, rejectHint, context] = [r.num(), r.num(), r.num(), r.num(), r.num(), r.num()]
  const count = r.u32()
  const entries: Entry[] = []
  for (let i = 0; i < count; i++) {
    const eIndex = r.num()
    const eTerm = r.num()
    const eType = r.u8() as EntryType
    entries.push({ index: eIndex, term: eTerm, type: eType, data: r.bytes() })
  }
  let snapshot: Snapshot | undefined
  if ((flags & 2) !== 0) {
    const sIndex = r.num()
    const sTerm = r.num()
    const ids = (): number[] => Array.from({ length: r.u32() }, () => r.u32())
    const membership: Membership = { voters: ids(), learners: ids() }
    snapshot = { meta: { index: sIndex, term: sTerm, membership }, data: r.bytes() }
  }
  const message: Message = {
    type,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    reject: (flags & 1) !== 0,
    rejectHint,
    context,
    entries,
    snapshot,
  }
  return { message, end: r.pos }
}

/** decodeMessage decodes a buffer holding exactly one message. */
export function decodeMessage(buf: Uint8Array): Message {
  const { message, end } = readMessage(buf, 0)
  if (end !== buf.byteLength) throw new RangeError('trailing bytes after message')
  return message
}

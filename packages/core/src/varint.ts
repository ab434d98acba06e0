import { TributaryError } from './errors'

/**
 * Zig-zag varints as Kafka's `ByteUtils` writes them (protobuf style): a signed value is mapped to
 * an unsigned one with `(n << 1) ^ (n >> 63)` so that small magnitudes of either sign stay short,
 * then written 7 bits per byte, least significant group first, with the high bit set on every byte
 * but the last.
 *
 * Writers take a position and return the position after the value, so the codec can encode a whole
 * batch into one buffer without allocating. Writers assume valid input (an int32 for varints, a
 * safe integer for varlongs) because they sit on the producer hot path; callers validate once.
 * Readers go through `VarintReader`, which checks every read against its end and throws
 * CORRUPT_MESSAGE, because they parse bytes that came from disk or the network.
 */

/** 2^32, to split a JS number into the two 32-bit words of an int64. */
const TWO_POW_32 = 4294967296
/** Varlongs decode exactly only while |value| fits in 53 bits; 2^22 is the high-word bound of 2^54. */
const MAX_EXACT_ZIGZAG_HIGH_WORD = 0x400000

/** sizeOfVarint returns how many bytes `writeVarint` takes for the int32 `value` (1 to 5). */
export function sizeOfVarint(value: number): number {
  const v = ((value << 1) ^ (value >> 31)) >>> 0
  if (v < 0x80) return 1
  if (v < 0x4000) return 2
  if (v < 0x200000) return 3
  if (v < 0x10000000) return 4
  return 5
}

/**
 * sizeOfVarlong returns how many bytes `writeVarlong` takes for the safe integer `value` (1 to 10).
 * It works on the magnitude so that no intermediate exceeds 2^53.
 */
export function sizeOfVarlong(value: number): number {
  if ((value | 0) === value) return sizeOfVarint(value)
  // The zig-zag form of v is 2u or 2u+1 with u = v or -v-1, so it fits in 7k bits when u < 2^(7k-1).
  const magnitude = value >= 0 ? value : -value - 1
  let size = 1
  for (let limit = 64; magnitude >= limit; limit *= 128) size++
  return size
}

/** writeVarint writes the int32 `value` as a zig-zag varint at `pos` and returns the next position. */
export function writeVarint(buf: Uint8Array, value: number, pos: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}

/**
 * writeVarlong writes the integer `value` (within ±2^53) as a zig-zag varlong at `pos` and returns
 * the next position. Values outside the int32 range go through two 32-bit words, so the result is
 * byte-for-byte what Java writes for the same long.
 */
export function writeVarlong(buf: Uint8Array, value: number, pos: number): number {
  if ((value | 0) === value) return writeVarint(buf, value, pos)
  if (!Number.isInteger(value) || value < -(2 ** 53) || value > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`writeVarlong: ${value} is not an integer within ±2^53`)
  }
  const hi = Math.floor(value / TWO_POW_32) | 0
  const lo = value >>> 0
  const sign = hi >> 31
  let zhi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0
  let zlo = ((lo << 1) ^ sign) >>> 0
  while (zhi !== 0 || zlo > 0x7f) {
    buf[pos++] = (zlo & 0x7f) | 0x80
    zlo = ((zlo >>> 7) | (zhi << 25)) >>> 0
    zhi >>>= 7
  }
  buf[pos++] = zlo
  return pos
}

function truncated(what: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${what} runs past the end of its record`)
}

/**
 * VarintReader reads varints, varlongs and byte ranges from `buf[pos, end)`, advancing `pos`.
 * Every read is bounds-checked against `end`; malformed or truncated input throws CORRUPT_MESSAGE,
 * never reads outside the range and never loops more than 10 bytes per value. `end` may be moved
 * (narrowed to one record, then restored) by the record decoder.
 */
export class VarintReader {
  buf: Buffer
  pos: number
  end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  /** remaining is the number of unread bytes before `end`. */
  get remaining(): number {
    return this.end - this.pos
  }

  /** readVarint reads a zig-zag int32; more than 5 bytes is CORRUPT_MESSAGE, as in Kafka. */
  readVarint(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    if (pos >= end) throw truncated('Varint')
    let b = buf[pos++]!
    let raw = b & 0x7f
    for (let shift = 7; b > 0x7f; shift += 7) {
      if (shift > 28) throw new TributaryError('CORRUPT_MESSAGE', 'Varint is longer than 5 bytes')
      if (pos >= end) throw truncated('Varint')
      b = buf[pos++]!
      raw |= (b & 0x7f) << shift
    }
    this.pos = pos
    return (raw >>> 1) ^ -(raw & 1)
  }

  /**
   * readVarlong reads a zig-zag int64. More than 10 bytes, or a value a JS number cannot hold
   * exactly (beyond ±2^53), is CORRUPT_MESSAGE rather than a silently rounded offset or timestamp.
   */
  readVarlong(): number {
    const buf = this.buf
    const end = this.end
    let pos = this.pos
    if (pos >= end) throw truncated('Varlong')
    let b = buf[pos++]!
    if (b < 0x80) {
      this.pos = pos
      return (b >>> 1) ^ -(b & 1)
    }
    let lo = b & 0x7f
    let hi = 0
    for (let shift = 7; b > 0x7f; shift += 7) {
      if (shift > 63) throw new TributaryError('CORRUPT_MESSAGE', 'Varlong is longer than 10 bytes')
      if (pos >= end) throw truncated('Varlong')
      b = buf[pos++]!
      const group = b & 0x7f
      if (shift < 28) lo |= group << shift
      else if (shift === 28) {
        lo |= group << 28
        hi |= group >>> 4
      } else hi |= group << (shift - 32)
    }
    this.pos = pos
    return fromZigZag64(hi >>> 0, lo >>> 0)
  }

  /** readInt8 reads one signed byte. */
  readInt8(): number {
    if (this.pos >= this.end) throw truncated('Byte')
    return (this.buf[this.pos++]! << 24) >> 24
  }

  /**
   * readNullableBytes reads a varint length and that many bytes as a view (no copy); length -1 is
   * null. Any other negative length, or one past `end`, is CORRUPT_MESSAGE.
   */
  readNullableBytes(what: string): Buffer | null {
    const length = this.readVarint()
    if (length === -1) return null
    if (length < 0 || length > this.end - this.pos) {
      throw new TributaryError('CORRUPT_MESSAGE', `${what} length ${length} is invalid (${this.end - this.pos} bytes left)`)
    }
    const start = this.pos
    this.pos = start + length
    // A view through Buffer.from(arrayBuffer, offset, length), not subarray: the same zero-copy
    // view, made without subarray's species lookup, which costs twice as much; this runs for the
    // key and the value of every record read.
    const buf = this.buf
    return Buffer.from(buf.buffer, buf.byteOffset + start, length)
  }
}

/** fromZigZag64 undoes zig-zag on the unsigned 64-bit value hi·2^32 + lo. */
function fromZigZag64(hi: number, lo: number): number {
  if (hi >= MAX_EXACT_ZIGZAG_HIGH_WORD) {
    throw new TributaryError('CORRUPT_MESSAGE', 'Varlong is outside the range a JS number holds exactly (±2^53)')
  }
  // magnitude = z >>> 1, exact because z < 2^54.
  const magnitude = hi * 2147483648 + (lo >>> 1)
  return (lo & 1) === 0 ? magnitude : -magnitude - 1
}

import { KafkaProtocolError } from './errors'
import { isUuid, writeUuid } from './uuid'

/*
 * Writer encodes Kafka's primitive types into a buffer allocated once at the exact size that the
 * compiled plan computed beforehand. Every value is range-checked against its wire type (a body
 * built by a handler may carry a wrong value); a bad one throws INVALID_ARGUMENT naming the field.
 *
 * Chunked mode (for large responses written with `socket.cork()` / writev): RECORDS values of at
 * least `chunkThresholdBytes` are not copied but handed out as their own chunk, so a Fetch response
 * of several MiB costs one small allocation and no copy of the batches.
 */

const TWO_POW_32 = 4294967296
/** STRING's int16 length caps it at 32767 bytes. */
export const MAX_STRING_BYTES = 32767

function bad(path: string, what: string, value: unknown): KafkaProtocolError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value)
  return new KafkaProtocolError('INVALID_ARGUMENT', `cannot encode ${shown} as ${what}`, { path })
}

/** sizeOfUvarint is the encoded size of an unsigned varint (values up to 2^32-1). */
export function sizeOfUvarint(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5
}

/** SizeContext collects, during the size pass, the bytes of RECORDS values big enough to be chunks. */
export interface SizeContext {
  chunkThresholdBytes: number
  chunkedBytes: number
}

/** Writer is a cursor over the output buffer. The compiled message writers drive it. */
export class Writer {
  buf: Buffer
  pos: number
  /** Chunks already completed (chunked mode only). */
  readonly chunks: Buffer[] = []
  private chunkStart: number
  private readonly chunkThresholdBytes: number

  constructor(buf: Buffer, pos = 0, chunkThresholdBytes = Number.POSITIVE_INFINITY) {
    this.buf = buf
    this.pos = pos
    this.chunkStart = 0
    this.chunkThresholdBytes = chunkThresholdBytes
  }

  int8(v: number, path: string): void {
    if (typeof v !== 'number' || (v << 24) >> 24 !== v) throw bad(path, 'int8', v)
    this.buf[this.pos++] = v
  }

  int16(v: number, path: string): void {
    if (typeof v !== 'number' || (v << 16) >> 16 !== v) throw bad(path, 'int16', v)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 8
    b[p + 1] = v
    this.pos = p + 2
  }

  uint16(v: number, path: string): void {
    if (typeof v !== 'number' || (v & 0xffff) !== v) throw bad(path, 'uint16', v)
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 8
    b[p + 1] = v
    this.pos = p + 2
  }

  int32(v: number, path: string): void {
    if (typeof v !== 'number' || (v | 0) !== v) throw bad(path, 'int32', v)
    this.raw32(v)
  }

  uint32(v: number, path: string): void {
    if (typeof v !== 'number' || v >>> 0 !== v) throw bad(path, 'uint32', v)
    this.raw32(v)
  }

  private raw32(v: number): void {
    const b = this.buf
    const p = this.pos
    b[p] = v >>> 24
    b[p + 1] = v >>> 16
    b[p + 2] = v >>> 8
    b[p + 3] = v
    this.pos = p + 4
  }

  /** int64 writes a safe integer as a signed 64-bit big-endian value. */
  int64(v: number, path: string): void {
    if (!Number.isSafeInteger(v)) throw bad(path, 'int64 (a safe integer)', v)
    const hi = Math.floor(v / TWO_POW_32)
    this.raw32(hi | 0)
    this.raw32(v - hi * TWO_POW_32)
  }

  float64(v: number, path: string): void {
    if (typeof v !== 'number') throw bad(path, 'float64', v)
    this.pos = this.buf.writeDoubleBE(v, this.pos)
  }

  bool(v: boolean, path: string): void {
    if (typeof v !== 'boolean') throw bad(path, 'bool', v)
    this.buf[this.pos++] = v ? 1 : 0
  }

  uuid(v: string, path: string): void {
    if (!isUuid(v)) throw bad(path, 'uuid', v)
    writeUuid(v, this.buf, this.pos)
    this.pos += 16
  }

  /** uvarint writes an unsigned varint (0 to 2^32-1). */
  uvarint(v: number): void {
    const b = this.buf
    let p = this.pos
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    b[p++] = v
    this.pos = p
  }

  /** string writes an int16-length STRING, or -1 for null when `nullable`. */
  string(v: string | null, nullable: boolean, path: string): void {
    if (v === null) {
      if (!nullable) throw bad(path, 'a non-nullable string', v)
      this.int16(-1, path)
      return
    }
    if (typeof v !== 'string') throw bad(path, 'string', v)
    const n = this.buf.write(v, this.pos + 2)
    if (n > MAX_STRING_BYTES) throw bad(path, 'string (over 32767 bytes)', v)
    this.buf[this.pos] = n >>> 8
    this.buf[this.pos + 1] = n
    this.pos += 2 + n
  }

  /** cstring writes a COMPACT_STRING (uvarint N+1), or 0 for null when `nullable`. */
  cstring(v: string | null, nullable: boolean, path: string): void {
    if (v === null) {
      if (!nullable) throw bad(path, 'a non-nullable string', v)
      this.buf[this.pos++] = 0
      return
    }
    if (typeof v !== 'string') throw bad(path, 'string', v)
    if (v.length < 43) {
      // At most 126 UTF-8 bytes: the length fits in one varint byte, so write the text first.
      const n = this.buf.write(v, this.pos + 1)
      this.buf[this.pos] = n + 1
      this.pos += 1 + n
      return
    }
    const n = Buffer.byteLength(v)
    if (n > MAX_STRING_BYTES) throw bad(path, 'string (over 32767 bytes)', v)
    this.uvarint(n + 1)
    this.pos += this.buf.write(v, this.pos)
  }

  /** bytes writes int32-length BYTES (or RECORDS), or -1 for null when `nullable`. */
  bytes(v: Buffer | null, nullable: boolean, path: string): void {
    if (v === null) {
      if (!nullable) throw bad(path, 'non-nullable bytes', v)
      this.raw32(-1)
      return
    }
    if (!(v instanceof Uint8Array)) throw bad(path, 'bytes', v)
    this.raw32(v.length)
    this.copy(v)
  }

  /** cbytes writes COMPACT_BYTES (or compact RECORDS), or 0 for null when `nullable`. */
  cbytes(v: Buffer | null, nullable: boolean, path: string): void {
    if (v === null) {
      if (!nullable) throw bad(path, 'non-nullable bytes', v)
      this.buf[this.pos++] = 0
      return
    }
    if (!(v instanceof Uint8Array)) throw bad(path, 'bytes', v)
    this.uvarint(v.length + 1)
    this.copy(v)
  }

  private copy(v: Uint8Array): void {
    if (v.length >= this.chunkThresholdBytes) {
      if (this.pos > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.pos))
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length))
      this.chunkStart = this.pos
      return
    }
    this.buf.set(v, this.pos)
    this.pos += v.length
  }

  /** arrayLength writes an int32 count, -1 for null. */
  arrayLength(n: number): void {
    this.raw32(n)
  }

  /** compactArrayLength writes uvarint N+1, 0 for null (n = -1). */
  compactArrayLength(n: number): void {
    this.uvarint(n + 1)
  }

  /** finish returns the chunks of a chunked write (the inline buffer's tail included). */
  finish(): Buffer[] {
    if (this.pos > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.pos))
    this.chunkStart = this.pos
    return this.chunks
  }
}

/** sizeOfString is the encoded size of a STRING / COMPACT_STRING value (null included). */
export function sizeOfString(v: string | null, compact: boolean): number {
  if (v === null || typeof v !== 'string') return compact ? 1 : 2
  if (compact && v.length < 43) return 1 + Buffer.byteLength(v)
  const n = Buffer.byteLength(v)
  return n + (compact ? sizeOfUvarint(n + 1) : 2)
}

/** sizeOfBytes is the encoded size of a BYTES / RECORDS value, compact or not (null included). */
export function sizeOfBytes(v: Uint8Array | null, compact: boolean): number {
  if (v === null || !(v instanceof Uint8Array)) return compact ? 1 : 4
  return v.length + (compact ? sizeOfUvarint(v.length + 1) : 4)
}

import type { ErrorCode } from '@tributary/core'
import { KafkaProtocolError } from './errors'
import { uuidToString } from './uuid'

/*
 * Reader decodes Kafka's primitive types from one buffer. Every read checks the remaining length
 * first and fails with a KafkaProtocolError that names the field (`path`, a constant the compiled
 * plan passes in) and the byte offset; a length prefix is checked against the remaining bytes
 * before anything is allocated, so a forged length of 2^31-1 costs nothing. Bytes and records are
 * returned as views of the input buffer (zero copy): they stay valid as long as that buffer is.
 */

const TWO_POW_32 = 4294967296

/** Reader is a cursor over one buffer. The compiled message readers drive it. */
export class Reader {
  buf: Buffer
  pos: number
  end: number
  /** The code of every error this reader throws: INVALID_REQUEST for requests, CORRUPT_MESSAGE for responses. */
  readonly errorCode: ErrorCode

  constructor(buf: Buffer, pos = 0, end = buf.length, errorCode: ErrorCode = 'INVALID_REQUEST') {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.errorCode = errorCode
  }

  /** remaining is the number of unread bytes. */
  get remaining(): number {
    return this.end - this.pos
  }

  /** fail builds the error for `what` at the current position. */
  fail(path: string, what: string): KafkaProtocolError {
    return new KafkaProtocolError(this.errorCode, what, { path, offset: this.pos })
  }

  private need(n: number, path: string): number {
    const p = this.pos
    if (n > this.end - p) throw this.fail(path, `truncated: ${n} bytes needed, ${this.end - p} left`)
    this.pos = p + n
    return p
  }

  int8(path: string): number {
    const p = this.need(1, path)
    return (this.buf[p]! << 24) >> 24
  }

  int16(path: string): number {
    const p = this.need(2, path)
    const b = this.buf
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16
  }

  uint16(path: string): number {
    const p = this.need(2, path)
    const b = this.buf
    return (b[p]! << 8) | b[p + 1]!
  }

  int32(path: string): number {
    const p = this.need(4, path)
    const b = this.buf
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  uint32(path: string): number {
    return this.int32(path) >>> 0
  }

  /** int64 reads a signed 64-bit integer as a JS number; one outside ±(2^53-1) is an error, never a rounded value. */
  int64(path: string): number {
    const p = this.need(8, path)
    const b = this.buf
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0
    const v = hi * TWO_POW_32 + lo
    if (hi >= 0x200000 || hi < -0x200000 || !Number.isSafeInteger(v)) {
      this.pos = p
      throw this.fail(path, `int64 ${this.buf.readBigInt64BE(p)} is outside the safe integer range`)
    }
    return v
  }

  float64(path: string): number {
    const p = this.need(8, path)
    return this.buf.readDoubleBE(p)
  }

  /** bool reads one byte; as in Kafka, any non-zero byte is true. */
  bool(path: string): boolean {
    const p = this.need(1, path)
    return this.buf[p] !== 0
  }

  uuid(path: string): string {
    const p = this.need(16, path)
    return uuidToString(this.buf, p)
  }

  /** uvarint reads an unsigned varint of at most 5 bytes (32 bits), as Kafka's readUnsignedVarint. */
  uvarint(path: string): number {
    const b = this.buf
    let p = this.pos
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      if (p >= this.end) throw this.fail(path, 'truncated varint')
      const byte = b[p++]!
      value |= (byte & 0x7f) << shift
      if (byte < 0x80) {
        this.pos = p
        return value >>> 0
      }
    }
    throw this.fail(path, 'varint longer than 5 bytes')
  }

  private text(n: number, path: string): string {
    const p = this.need(n, path)
    return this.buf.toString('utf8', p, p + n)
  }

  private nonNull(path: string): never {
    throw this.fail(path, 'null in a non-nullable field')
  }

  /** string reads an int16-length STRING (null is an error). */
  string(path: string): string {
    const n = this.int16(path)
    if (n < 0) return n === -1 ? this.nonNull(path) : this.badLength(path, n)
    return this.text(n, path)
  }

  /** nstring reads an int16-length NULLABLE_STRING (-1 is null). */
  nstring(path: string): string | null {
    const n = this.int16(path)
    if (n < 0) return n === -1 ? null : this.badLength(path, n)
    return this.text(n, path)
  }

  /** cstring reads a COMPACT_STRING (uvarint N+1). */
  cstring(path: string): string {
    const n = this.uvarint(path)
    if (n === 0) return this.nonNull(path)
    return this.text(n - 1, path)
  }

  /** ncstring reads a COMPACT_NULLABLE_STRING (0 is null). */
  ncstring(path: string): string | null {
    const n = this.uvarint(path)
    if (n === 0) return null
    return this.text(n - 1, path)
  }

  private view(n: number, path: string): Buffer {
    const p = this.need(n, path)
    return this.buf.subarray(p, p + n)
  }

  /** bytes reads int32-length BYTES as a view of the input. */
  bytes(path: string): Buffer {
    const n = this.int32(path)
    if (n < 0) return n === -1 ? this.nonNull(path) : this.badLength(path, n)
    return this.view(n, path)
  }

  /** nbytes reads int32-length NULLABLE_BYTES (and RECORDS) as a view of the input. */
  nbytes(path: string): Buffer | null {
    const n = this.int32(path)
    if (n < 0) return n === -1 ? null : this.badLength(path, n)
    return this.view(n, path)
  }

  /** cbytes reads COMPACT_BYTES as a view of the input. */
  cbytes(path: string): Buffer {
    const n = this.uvarint(path)
    if (n === 0) return this.nonNull(path)
    return this.view(n - 1, path)
  }

  /** ncbytes reads COMPACT_NULLABLE_BYTES (and compact RECORDS) as a view of the input. */
  ncbytes(path: string): Buffer | null {
    const n = this.uvarint(path)
    if (n === 0) return null
    return this.view(n - 1, path)
  }

  /**
   * arrayLength reads an int32 array count: -1 for null, else a count whose elements (at least
   * `minElementBytes` each, counted as 1 when 0) fit in the remaining bytes.
   */
  arrayLength(path: string, minElementBytes: number): number {
    const n = this.int32(path)
    if (n < 0) return n === -1 ? -1 : this.badLength(path, n)
    return this.checkCount(n, minElementBytes, path)
  }

  /** compactArrayLength reads a uvarint N+1 array count: -1 for null (0 on the wire). */
  compactArrayLength(path: string, minElementBytes: number): number {
    const n = this.uvarint(path)
    if (n === 0) return -1
    return this.checkCount(n - 1, minElementBytes, path)
  }

  private checkCount(n: number, minElementBytes: number, path: string): number {
    if (n * (minElementBytes > 0 ? minElementBytes : 1) > this.end - this.pos) {
      throw this.fail(path, `array of ${n} elements cannot fit in the ${this.end - this.pos} bytes left`)
    }
    return n
  }

  private badLength(path: string, n: number): never {
    throw this.fail(path, `negative length ${n}`)
  }

  /** skip advances over `n` bytes (an unknown tagged field). */
  skip(n: number, path: string): void {
    this.need(n, path)
  }

  /**
   * skipTaggedFields reads a tagged-fields section whose tags are all unknown to the reader (a
   * header's, or a struct's with no tagged fields in this version) and skips it.
   */
  skipTaggedFields(path: string): void {
    const count = this.uvarint(path)
    for (let i = 0; i < count; i++) {
      this.uvarint(path)
      this.skip(this.uvarint(path), path)
    }
  }
}

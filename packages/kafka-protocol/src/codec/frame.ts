import { KafkaProtocolError } from './errors'

/*
 * Kafka frames, both directions: an int32 big-endian size (not counting itself), then that many
 * bytes of header and body. The size is checked against a maximum before a single byte of the frame
 * is buffered (Kafka's `socket.request.max.bytes`), because a stream with an absurd size cannot be
 * resynchronised: the connection must be closed.
 */

/** FRAME_SIZE_BYTES is the length of the size prefix. */
export const FRAME_SIZE_BYTES = 4

/** DEFAULT_MAX_FRAME_BYTES is Kafka's default `socket.request.max.bytes` (100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024

/**
 * readFrameSize reads the size prefix at `offset` and checks it.
 * @throws KafkaProtocolError INVALID_REQUEST for a negative size or one over `maxFrameBytes`.
 */
export function readFrameSize(buf: Uint8Array, offset: number, maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES): number {
  const size = (buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!
  if (size < 0 || size > maxFrameBytes) {
    throw new KafkaProtocolError('INVALID_REQUEST', `frame size ${size} is outside 0..${maxFrameBytes}`, {
      offset,
      frameBytes: size,
      maxFrameBytes,
    })
  }
  return size
}

/** writeFrameSize writes the size prefix of a frame whose payload is `size` bytes. */
export function writeFrameSize(buf: Uint8Array, offset: number, size: number): void {
  buf[offset] = size >>> 24
  buf[offset + 1] = size >>> 16
  buf[offset + 2] = size >>> 8
  buf[offset + 3] = size
}

/** FrameDecoderOptions bound what a FrameDecoder buffers. */
export interface FrameDecoderOptions {
  /** Largest frame payload accepted, in bytes. Default DEFAULT_MAX_FRAME_BYTES (100 MiB). */
  maxFrameBytes?: number
  /**
   * Where a frame that spans chunks is joined, once complete: given its size and its first piece,
   * return a buffer of exactly `size` bytes that the caller may reuse (a scratch buffer), or
   * undefined for fresh memory (the default). Fresh memory is what costs here: page faults and
   * garbage collection, far more than the copy itself.
   */
  joinInto?: (size: number, firstPiece: Buffer) => Buffer | undefined
}

/**
 * INCREMENTAL_JOIN_BYTES: once this much of a partial frame has arrived, its buffer is taken and
 * every later piece is copied into it as it arrives, instead of all at once when the frame
 * completes. Joining a 90 MiB frame in one go held the event loop for over a second (most of it
 * the first touch of the fresh pages, on a loaded machine); spread over the chunks (64 KiB each on
 * a socket) no stretch is longer than one chunk's copy. Memory still follows the bytes received:
 * the buffer is allocated uncommitted (Buffer.allocUnsafe of more than the pool size is left to
 * the OS, whose pages are committed when first written).
 */
const INCREMENTAL_JOIN_BYTES = 1024 * 1024

/**
 * FrameDecoder splits a byte stream into frame payloads (without their size prefix). A frame that
 * lies inside one chunk is returned as a view of it (no copy); a small one that spans chunks is
 * joined once, when its last byte arrives; a large one is copied piece by piece into its buffer
 * as it arrives (see INCREMENTAL_JOIN_BYTES). It holds at most one partial frame.
 */
export class FrameDecoder {
  private readonly maxFrameBytes: number
  private readonly joinInto: FrameDecoderOptions['joinInto']
  private readonly prefix = Buffer.alloc(FRAME_SIZE_BYTES)
  private prefixFilled = 0
  /** Size of the incomplete frame being collected, or -1 when none is. */
  private partialSize = -1
  private partialChunks: Buffer[] = []
  private partialFilled = 0
  /** The buffer a large partial frame is being copied into, once it is INCREMENTAL_JOIN_BYTES along. */
  private partialTarget: Buffer | null = null

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.joinInto = options.joinInto
  }

  /** bufferedBytes is how many bytes of an incomplete frame are held. */
  get bufferedBytes(): number {
    return this.prefixFilled + this.partialFilled
  }

  /**
   * push takes the next chunk of the stream and returns every frame it completes, in order.
   * @throws KafkaProtocolError INVALID_REQUEST for a frame size out of range (close the connection).
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = []
    let pos = 0
    const end = chunk.length
    while (pos < end) {
      if (this.partialSize >= 0) {
        const take = Math.min(this.partialSize - this.partialFilled, end - pos)
        if (this.partialTarget !== null) this.partialTarget.set(chunk.subarray(pos, pos + take), this.partialFilled)
        else this.partialChunks.push(chunk.subarray(pos, pos + take))
        this.partialFilled += take
        pos += take
        if (this.partialFilled === this.partialSize) {
          frames.push(this.partialTarget ?? this.join())
          this.partialSize = -1
          this.partialChunks = []
          this.partialFilled = 0
          this.partialTarget = null
        } else if (this.partialTarget === null && this.partialFilled >= INCREMENTAL_JOIN_BYTES) {
          this.partialTarget = this.join()
          this.partialChunks = []
        }
        continue
      }
      let size: number
      if (this.prefixFilled === 0 && end - pos >= FRAME_SIZE_BYTES) {
        size = readFrameSize(chunk, pos, this.maxFrameBytes)
        pos += FRAME_SIZE_BYTES
      } else {
        const take = Math.min(FRAME_SIZE_BYTES - this.prefixFilled, end - pos)
        chunk.copy(this.prefix, this.prefixFilled, pos, pos + take)
        this.prefixFilled += take
        pos += take
        if (this.prefixFilled < FRAME_SIZE_BYTES) break
        this.prefixFilled = 0
        size = readFrameSize(this.prefix, 0, this.maxFrameBytes)
      }
      if (end - pos >= size) {
        frames.push(chunk.subarray(pos, pos + size))
        pos += size
      } else {
        this.partialSize = size
      }
    }
    return frames
  }

  /**
   * join copies the pieces collected so far into the partial frame's buffer (lent, or fresh). A
   * complete frame is joined with Buffer.concat; an incomplete one's buffer is allocated unfilled
   * (Buffer.concat would zero the rest, touching every page of it at once).
   */
  private join(): Buffer {
    const pieces = this.partialChunks
    const complete = this.partialFilled === this.partialSize
    let target = this.joinInto?.(this.partialSize, pieces[0] as Buffer)
    if (target === undefined) {
      if (complete) return Buffer.concat(pieces, this.partialSize)
      target = Buffer.allocUnsafe(this.partialSize)
    }
    if (target.length !== this.partialSize)
      throw new RangeError(`joinInto returned ${target.length} bytes for a frame of ${this.partialSize}`)
    let at = 0
    for (const piece of pieces) {
      target.set(piece, at)
      at += piece.length
    }
    return target
  }
}

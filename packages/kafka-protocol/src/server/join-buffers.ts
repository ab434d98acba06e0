/**
 * JoinBuffers lends fixed-size buffers in which connections join Produce requests that arrived in
 * several socket chunks, and takes them back once the broker has copied the batches out.
 *
 * Why: every produced byte otherwise lands once in fresh memory (Buffer.concat of the chunks),
 * and fresh memory, not the copy, is what a produce-heavy server spends its time on (page faults,
 * garbage collection: in the librdkafka bench, a quarter of the server's CPU). Reused memory is
 * only safe when the broker keeps nothing of the request (Broker.copiesProducedBatches, true for a
 * LocalBroker on file storage), so the server makes a pool only then.
 *
 * Bounded: at most `maxBuffers` buffers of `bufferBytes` each, allocated on first need; a larger
 * frame, or one arriving while every buffer is lent, is joined in fresh memory as before.
 */
export class JoinBuffers {
  private readonly free: Buffer[] = []
  private allocated = 0

  constructor(
    readonly bufferBytes: number,
    readonly maxBuffers: number,
  ) {}

  /** take lends a buffer of exactly `size` bytes, or returns undefined (too large, none left). */
  take(size: number): Buffer | undefined {
    if (size > this.bufferBytes) return undefined
    let buffer = this.free.pop()
    if (buffer === undefined) {
      if (this.allocated >= this.maxBuffers) return undefined
      buffer = Buffer.allocUnsafeSlow(this.bufferBytes)
      this.allocated++
    }
    return buffer.subarray(0, size)
  }

  /** give returns a buffer `take` lent (any view of it); its bytes may be overwritten from now on. */
  give(view: Buffer): void {
    this.free.push(Buffer.from(view.buffer, view.byteOffset, this.bufferBytes))
  }

  /** lentCount is how many buffers are out. */
  get lentCount(): number {
    return this.allocated - this.free.length
  }
}

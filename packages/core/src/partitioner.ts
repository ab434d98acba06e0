import { TributaryError } from './errors'

/**
 * Kafka's default partitioning, byte for byte: keyed messages go to
 * `toPositive(murmur2(keyBytes)) % numPartitions` (the Java client's `BuiltInPartitioner`), keyless
 * messages stick to one partition per batch, and an explicit partition wins.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995
const R = 24

/**
 * murmur2 is Kafka's 32-bit MurmurHash2 (`Utils.murmur2`) of `bytes`, returned as a signed int32
 * exactly as Java does. It uses `Math.imul` rather than the `murmurhash` package: both match every
 * vector, and this one is faster because it avoids the package's 16-bit split multiplications.
 */
export function murmur2(bytes: Uint8Array): number {
  const length = bytes.length
  let h = SEED ^ length
  const blocksEnd = length & ~3
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> R
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The tail falls through from 3 bytes to 1, as Java's switch does.
  const tail = length & 3
  if (tail > 0) {
    if (tail === 3) h ^= bytes[blocksEnd + 2]! << 16
    if (tail >= 2) h ^= bytes[blocksEnd + 1]! << 8
    h ^= bytes[blocksEnd]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** toPositive clears the sign bit (`n & 0x7fffffff`), as Kafka does; it is not `Math.abs`. */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/**
 * partitionForKey returns Kafka's partition for a non-null key: strings are hashed as their UTF-8
 * bytes. `numPartitions` is the topic's total partition count. Throws INVALID_PARTITIONS when it
 * is not a positive integer.
 */
export function partitionForKey(key: Buffer | Uint8Array | string, numPartitions: number): number {
  checkPartitionCount(numPartitions)
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  return toPositive(murmur2(bytes)) % numPartitions
}

function checkPartitionCount(numPartitions: number): void {
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new TributaryError('INVALID_PARTITIONS', `A topic needs a positive integer partition count, got ${numPartitions}`)
  }
}

/** PartitionRequest is what the producer knows about one message when choosing its partition. */
export interface PartitionRequest {
  topic: string
  numPartitions: number
  key?: Buffer | Uint8Array | string | null
  /** An explicit partition; wins over the key when not null or undefined. */
  partition?: number | null
}

/**
 * StickyPartitioner chooses partitions the way Kafka's producer does: an explicit partition wins,
 * then the key's murmur2 hash, and keyless messages all go to one "sticky" partition per topic
 * until the producer calls `nextBatch(topic)` after flushing that batch, so that keyless traffic
 * fills few, large batches instead of many small ones (KIP-480).
 *
 * Randomness is injected: `random` returns a number in [0, 1) like `Math.random`, which is the
 * default only so that applications need not pass one; tests pass a seeded source.
 */
export class StickyPartitioner {
  private readonly random: () => number
  /** The sticky partition per topic; absent until a keyless message asks for one. */
  private readonly sticky = new Map<string, number>()
  /** The partition a topic last stuck to, so that the next batch moves elsewhere. */
  private readonly previous = new Map<string, number>()

  constructor(random: () => number = Math.random) {
    this.random = random
  }

  /**
   * choosePartition returns the partition for one message: the explicit `partition` if given
   * (UNKNOWN_TOPIC_OR_PARTITION unless it is an integer in [0, numPartitions)), otherwise the key's
   * hash, otherwise the topic's sticky partition. Throws INVALID_PARTITIONS for a bad count.
   */
  choosePartition(request: PartitionRequest): number {
    const { topic, numPartitions, key, partition } = request
    checkPartitionCount(numPartitions)
    if (partition !== undefined && partition !== null) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
        throw new TributaryError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `Partition ${String(partition)} does not exist in topic '${topic}' (${numPartitions} partitions)`,
        )
      }
      return partition
    }
    if (key !== undefined && key !== null) return partitionForKey(key, numPartitions)
    return this.stickyPartition(topic, numPartitions)
  }

  /**
   * stickyPartition returns the topic's current sticky partition, choosing one at random when there
   * is none yet or when the topic shrank below it.
   */
  stickyPartition(topic: string, numPartitions: number): number {
    checkPartitionCount(numPartitions)
    const current = this.sticky.get(topic)
    if (current !== undefined && current < numPartitions) return current
    const chosen = this.pick(numPartitions, this.previous.get(topic))
    this.sticky.set(topic, chosen)
    return chosen
  }

  /**
   * nextBatch tells the partitioner that the topic's batch was sent: the next keyless message
   * picks a new partition, different from this one when the topic has more than one.
   */
  nextBatch(topic: string): void {
    const current = this.sticky.get(topic)
    if (current === undefined) return
    this.sticky.delete(topic)
    this.previous.set(topic, current)
  }

  /** pick draws uniformly among the partitions other than `avoid` (when there is another). */
  private pick(numPartitions: number, avoid: number | undefined): number {
    const r = this.random()
    if (!(r >= 0 && r < 1)) throw new RangeError(`StickyPartitioner: random() returned ${r}, expected [0, 1)`)
    if (avoid === undefined || avoid >= numPartitions || numPartitions === 1) return Math.floor(r * numPartitions)
    const drawn = Math.floor(r * (numPartitions - 1))
    return drawn >= avoid ? drawn + 1 : drawn
  }
}

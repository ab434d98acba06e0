import { randomBytes } from 'node:crypto'
import { murmur2, toPositive } from '@tributary/core'
import type { ICustomPartitioner, PartitionerArgs } from './types'

/**
 * KafkaJS's partitioners. The producer treats `DefaultPartitioner` (and its old name
 * `JavaCompatiblePartitioner`) as Tributary's own placement: a keyed message goes to
 * `toPositive(murmur2(key)) % partitions` exactly as here and in the Java client, but a keyless
 * message goes to a sticky partition per batch instead of the next one round-robin. Any other
 * partitioner (`LegacyPartitioner`, a custom one) is called per message, as in KafkaJS.
 */

/** keyBytes is how KafkaJS hashes a key: a Buffer as it is, anything else as the UTF-8 of String(key). */
function keyBytes(key: unknown): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key))
}

/**
 * legacyMurmur2 is the hash of KafkaJS's LegacyPartitioner (the default before KafkaJS 2.0). It
 * is murmur2 computed in floating point, without the 32-bit wrap after each multiplication and
 * with the block loop running to ceil(length / 4), so it differs from Java's for most keys; it is
 * reproduced so that keys keep their partitions for programs that chose it.
 */
export function legacyMurmur2(key: unknown): number {
  const data = keyBytes(key)
  const length = data.length
  const m = 0x5bd1e995
  let h = 0x9747b28c ^ length
  // A fractional bound: the last, partial block is read as a full one (missing bytes are 0).
  for (let i = 0; i < length / 4; i++) {
    let k = (data[i * 4] ?? 0) + ((data[i * 4 + 1] ?? 0) << 8) + ((data[i * 4 + 2] ?? 0) << 16) + ((data[i * 4 + 3] ?? 0) << 24)
    k *= m
    k ^= k >>> 24
    k *= m
    h *= m
    h ^= k
  }
  const tail = length & ~3
  // The tail bytes, last first (Java's fall-through switch).
  const rest = length % 4
  if (rest === 3) h ^= (data[tail + 2] ?? 0) << 16
  if (rest >= 2) h ^= (data[tail + 1] ?? 0) << 8
  if (rest >= 1) {
    h ^= data[tail] ?? 0
    h *= m
  }
  h ^= h >>> 13
  h *= m
  h ^= h >>> 15
  return h
}

/** javaMurmur2 is the Java client's murmur2 of a key as KafkaJS's DefaultPartitioner hashes it. */
export function javaMurmur2(key: unknown): number {
  return murmur2(keyBytes(key))
}

/**
 * roundRobinPartitioner builds KafkaJS's partitioning rule around `hash`: an explicit partition
 * wins, a key is hashed over all partitions, a keyless message takes the next available partition
 * (one with a leader) from a per-topic counter that starts at a random point.
 */
function roundRobinPartitioner(hash: (key: unknown) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>()
    return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
      if (message.partition !== null && message.partition !== undefined) return message.partition
      const count = partitionMetadata.length
      if (message.key !== null && message.key !== undefined) return toPositive(hash(message.key)) % count
      const next = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1
      counters.set(topic, next)
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (available.length > 0) return (available[toPositive(next) % available.length] as { partitionId: number }).partitionId
      return toPositive(next) % count
    }
  }
}

const DefaultPartitioner: ICustomPartitioner = roundRobinPartitioner(javaMurmur2)
const LegacyPartitioner: ICustomPartitioner = roundRobinPartitioner(legacyMurmur2)

/** Partitioners are KafkaJS's built-in partitioners. */
export const Partitioners = Object.freeze({
  DefaultPartitioner,
  LegacyPartitioner,
  /** The pre-2.0 name of DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner,
})

/** usesTributaryPlacement tells whether the producer may leave placement to Tributary (see above). */
export function usesTributaryPlacement(createPartitioner: ICustomPartitioner | undefined): boolean {
  return createPartitioner === undefined || createPartitioner === DefaultPartitioner
}

import { baselineArray } from './baseline-array'
import { baselineFs, baselineFsFsync } from './baseline-fs'
import { baselineSqlite } from './baseline-sqlite'
import { kafkaJs, tributaryKafkaClient } from './kafka-serve'
import { librdkafka } from './librdkafka'
import { natsJetstreamR3 } from './nats-cluster'
import { natsJetstream } from './nats-jetstream'
import { redisStreams } from './redis-streams'
import { tributaryFile, tributaryMemory, tributarySqlite } from './tributary'
import type { LogSystem } from './types'

/** LOG_SYSTEMS are the systems the produce, consume and backlog workloads can run, by name. */
const LOG_SYSTEMS: readonly LogSystem[] = [
  tributaryMemory,
  tributaryFile,
  tributarySqlite,
  baselineFs,
  baselineFsFsync,
  baselineSqlite,
  baselineArray,
  redisStreams,
  natsJetstream,
  natsJetstreamR3,
  tributaryKafkaClient,
  kafkaJs,
  librdkafka,
]

/** logSystem returns the system called `name`; an unknown name is a programmer error. */
export function logSystem(name: string): LogSystem {
  const system = LOG_SYSTEMS.find((s) => s.name === name)
  if (!system) throw new Error(`unknown system ${name}`)
  return system
}

import type { RunOptions } from '../consumer/types'
import { KafkaJSError, nonRetriable } from './errors'
import type { Logger } from './logger'
import { parseOffset } from './offsets'
import { stringOffsets, toKafkaBatch, toKafkaMessage } from './payloads'
import type { ConsumerRunConfig, Offsets } from './types'

/**
 * toRunOptions maps `consumer.run(config)` to Tributary's run options: KafkaJS's option names, and
 * handlers wrapped so that they receive KafkaJS's payloads (string offsets, eachBatch's helpers)
 * and their failures are logged as KafkaJS logs them. Throws KafkaJSNonRetriableError without a handler.
 */
export function toRunOptions(config: ConsumerRunConfig, runnerLog: Logger, commit: (offsets: Offsets) => Promise<void>): RunOptions {
  const { eachBatch, eachMessage } = config ?? {}
  if (typeof eachBatch !== 'function' && typeof eachMessage !== 'function') {
    throw nonRetriable('consumer#run needs an eachMessage or an eachBatch handler')
  }
  const base = {
    autoCommit: config.autoCommit ?? true,
    autoCommitIntervalMs: config.autoCommitInterval ?? null,
    autoCommitThreshold: config.autoCommitThreshold ?? null,
    eachBatchAutoResolve: config.eachBatchAutoResolve ?? true,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently ?? 1,
  }
  if (typeof eachBatch === 'function') {
    return {
      ...base,
      eachBatch: async (p) => {
        const batch = toKafkaBatch(p.batch)
        await reported(runnerLog, 'eachBatch', p.batch.topic, p.batch.partition, batch.firstOffset(), () =>
          eachBatch({
            batch,
            resolveOffset: (offset) => p.resolveOffset(parseOffset(offset, 'offset')),
            heartbeat: p.heartbeat,
            pause: p.pause,
            commitOffsetsIfNecessary: (offsets?: Offsets) => (offsets ? commit(offsets) : p.commitOffsetsIfNecessary()),
            uncommittedOffsets: () => stringOffsets(p.uncommittedOffsets()),
            isRunning: p.isRunning,
            isStale: p.isStale,
          }),
        )
      },
    }
  }
  const handler = eachMessage as NonNullable<ConsumerRunConfig['eachMessage']>
  return {
    ...base,
    eachMessage: (p) =>
      reported(runnerLog, 'eachMessage', p.topic, p.partition, String(p.message.offset), () =>
        handler({ topic: p.topic, partition: p.partition, message: toKafkaMessage(p.message), heartbeat: p.heartbeat, pause: p.pause }),
      ),
  }
}

/** reported runs a handler and logs its failure as KafkaJS does before the failure is retried. */
async function reported(
  log: Logger,
  what: string,
  topic: string,
  partition: number,
  offset: string | null,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn()
  } catch (error) {
    if (!(error instanceof KafkaJSError)) {
      log.error(`Error when calling ${what}`, { topic, partition, offset, stack: (error as Error)?.stack, error })
    }
    throw error
  }
}

import type { Broker } from '../broker'
import { iterateBatches } from '../record-batch'

/** ReadRecord is one record as read back through a Broker. */
export interface ReadRecord {
  partition: number
  offset: number
  key: string | null
  value: string | null
}

/** LogRecord is one record of a partition log with the producer id of its batch (-1: none). */
export interface LogRecord extends ReadRecord {
  readonly producerId: number
}

/** readAll reads every record of `topic` that `broker` serves (up to the high watermark), partition by partition. */
export async function readAll(broker: Broker, topic: string): Promise<ReadRecord[]> {
  return (await readLog(broker, topic)).map(({ producerId: _, ...record }) => record)
}

/**
 * readLog reads every record of `topic` through `broker`, with the producer id of each record's
 * batch. A partition that answers with an error throws it.
 */
export async function readLog(broker: Broker, topic: string): Promise<LogRecord[]> {
  const [meta] = (await broker.metadata({ topics: [topic] })).topics
  const out: LogRecord[] = []
  for (const { partition } of meta?.partitions ?? []) {
    for (let offset = 0; ; ) {
      const [r] = await broker.fetch({ partitions: [{ topic, partition, offset, maxBytes: 1 << 20 }], maxWaitMs: 0 })
      if (r?.error) throw r.error
      if (!r || r.batches.length === 0) break
      for (const batch of iterateBatches(r.batches)) {
        for (const rec of batch.records()) {
          if (rec.offset >= offset)
            out.push({
              partition,
              offset: rec.offset,
              key: rec.key?.toString() ?? null,
              value: rec.value?.toString() ?? null,
              producerId: batch.producerId,
            })
        }
        offset = batch.lastOffset + 1
      }
    }
  }
  return out
}

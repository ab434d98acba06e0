import {
  TributaryError,
  type ProducePartitionData,
  type ProducePartitionResult,
  type TopicConfig,
  type TopicPartition,
} from '@tributary/core'

/** notEnoughReplicas is the error of an acks=all produce to a partition with too few in-sync replicas. */
export function notEnoughReplicas(topic: string, partition: number, inSync: number, config: TopicConfig): TributaryError {
  return new TributaryError(
    'NOT_ENOUGH_REPLICAS',
    `${topic}-${partition}: ${inSync} in-sync replicas, min.insync.replicas is ${config.minInsyncReplicas}`,
    { details: { topic, partition, inSync, minInsyncReplicas: config.minInsyncReplicas } },
  )
}

/** notLeaderHere is the error of a request that must not be forwarded, for a partition this node holds no replica of. */
export function notLeaderHere(nodeId: number, { topic, partition }: TopicPartition, leaderId: number): TributaryError {
  return new TributaryError('NOT_LEADER_OR_FOLLOWER', `node ${nodeId} holds no replica of ${topic}-${partition}`, {
    details: { topic, partition, leaderId },
  })
}

/** unknownPartition is the error of a partition that the metadata does not have. */
export function unknownPartition(topic: string, partition: number): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown partition ${topic}-${partition}`, { details: { topic, partition } })
}

/** asError is `error` as a TributaryError: itself, or UNKNOWN_SERVER_ERROR with it as the cause. */
export function asError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error
  return new TributaryError('UNKNOWN_SERVER_ERROR', String(error), { cause: error })
}

/** failedProduce is the result of a produced batch that failed with `error`. */
export function failedProduce(data: ProducePartitionData, error: unknown): ProducePartitionResult {
  return { topic: data.topic, partition: data.partition, baseOffset: -1, logAppendTime: -1, logStartOffset: -1, error: asError(error) }
}

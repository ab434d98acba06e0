import { TributaryError, type TopicConfig, type TopicPartition } from '@tributary/core'

/*
 * The cluster's own errors; the rules a single node shares (unknown partitions, failed results)
 * are core's broker-rules.ts.
 */

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

import {
  TributaryError,
  type CreateTopicSpec,
  type FetchRequest,
  type ListOffsetsPartitionRequest,
  type PartitionReassignment,
  type ProduceRequest,
} from '@tributary/core'
import type { ClusterContext } from '../node/cluster-context'
import type { ClusterNode } from '../node/cluster-node'
import type { FetchPath } from '../paths/fetch-path'
import type { GroupRouter } from '../paths/group-router'
import type { MetadataGroup, MetaMethod } from '../metadata/metadata-group'
import type { BrokerAddress } from '../metadata/metadata-state'
import type { ProducePath } from '../paths/produce-path'

type ValidateOnly = { validateOnly?: boolean }

/**
 * META_CALLS runs, on the metadata leader, each node method that another node forwarded as
 * `meta:<method>`, with the arguments it was called with there (see `MetadataGroup.onLeader`).
 */
const META_CALLS: Readonly<Record<MetaMethod, (node: ClusterNode, args: unknown[]) => Promise<unknown>>> = {
  createTopics: (n, [specs, options]) => n.createTopics(specs as CreateTopicSpec[], options as ValidateOnly | undefined),
  deleteTopics: (n, [topics]) => n.deleteTopics(topics as string[]),
  createPartitions: (n, [topic, totalCount, options]) =>
    n.createPartitions(topic as string, totalCount as number, options as ValidateOnly | undefined),
  alterConfigs: (n, [topic, entries, options]) =>
    n.alterConfigs(topic as string, entries as Array<{ name: string; value: string | null }>, options as ValidateOnly | undefined),
  initProducerId: (n) => n.initProducerId(),
  alterPartitionReassignments: (n, [reassignments]) => n.alterPartitionReassignments(reassignments as PartitionReassignment[]),
  unregisterBroker: (n, [nodeId]) => n.unregisterBroker(nodeId as number),
  completeReassignment: (n, [topic, partition, target]) => n.completeReassignment(topic as string, partition as number, target as number[]),
  registerBroker: (n, [nodeId, address]) => n.registerBroker(nodeId as number, address as BrokerAddress),
  syncMetadata: async () => undefined,
}

/** PeerServices are the parts of a node that serve requests forwarded by other nodes. */
export interface PeerServices {
  readonly node: ClusterNode
  readonly ctx: ClusterContext
  readonly meta: MetadataGroup
  readonly groups: GroupRouter
  readonly produce: ProducePath
  readonly fetch: FetchPath
}

/**
 * servePeerRequest serves a request forwarded by another node; it never forwards again (no loops).
 * `meta:<method>` runs a metadata change on this node (the metadata leader) and answers with the
 * index the other node waits to apply; `group:<method>` is a call to the group coordinator here.
 * @throws TributaryError LEADER_NOT_AVAILABLE (no longer the metadata leader), NOT_COORDINATOR,
 *   INVALID_REQUEST (unknown method), CLIENT_CLOSED.
 */
export async function servePeerRequest(s: PeerServices, method: string, args: unknown[]): Promise<unknown> {
  s.ctx.assertOpen()
  if (method.startsWith('meta:')) {
    if (!s.meta.isLeader()) throw new TributaryError('LEADER_NOT_AVAILABLE', `node ${s.ctx.nodeId} no longer leads the metadata group`)
    const name = method.slice(5)
    if (!Object.hasOwn(META_CALLS, name)) throw unknownMethod(method)
    const value = await META_CALLS[name as MetaMethod](s.node, args)
    return { value, index: s.meta.applied }
  }
  if (method.startsWith('group:')) return s.groups.servePeer(method.slice(6), args)
  switch (method) {
    case 'join':
      return s.node.registerBroker(args[0] as number, args[1] as BrokerAddress)
    case 'produce':
      return s.produce.servePeer(args[0] as ProduceRequest)
    case 'fetch':
      return s.fetch.servePeer(args[0] as FetchRequest)
    case 'listOffsets':
      return s.node.listOffsets(args[0] as ListOffsetsPartitionRequest[])
    case 'deleteRecords':
      return s.node.deleteRecords(args[0] as Array<{ topic: string; partition: number; offset: number }>)
    default:
      throw unknownMethod(method)
  }
}

function unknownMethod(method: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `unknown peer method ${method}`)
}

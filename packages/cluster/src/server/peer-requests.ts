import { TributaryError, type RpcArgs, type RpcResult } from '@tributary/core'
import type { ClusterContext } from '../node/cluster-context'
import type { ClusterNode } from '../node/cluster-node'
import type { FetchPath } from '../paths/fetch-path'
import type { GroupRouter } from '../paths/group-router'
import type { MetadataGroup } from '../metadata/metadata-group'
import type { MetaApi, MetaMethod, PeerDataCalls } from './peer-rpc'
import type { PeerCallContext } from './peer-channel'
import type { BrokerAddress } from '../metadata/metadata-state'
import type { ProducePath } from '../paths/produce-path'

/**
 * META_CALLS runs, on the metadata leader, each node method that another node forwarded as
 * `meta:<method>`, with the arguments it was called with there (see `MetadataGroup.onLeader`);
 * one entry per MetaMethod, typed by MetaApi.
 */
const META_CALLS: { readonly [M in MetaMethod]: (node: ClusterNode, args: RpcArgs<MetaApi, M>) => Promise<RpcResult<MetaApi, M>> } = {
  createTopics: (n, [specs, options]) => n.createTopics(specs, options),
  deleteTopics: (n, [topics]) => n.deleteTopics(topics),
  createPartitions: (n, [topic, totalCount, options]) => n.createPartitions(topic, totalCount, options),
  alterConfigs: (n, [topic, entries, options]) => n.alterConfigs(topic, entries, options),
  initProducerId: (n) => n.initProducerId(),
  alterPartitionReassignments: (n, [reassignments]) => n.alterPartitionReassignments(reassignments),
  unregisterBroker: (n, [nodeId]) => n.unregisterBroker(nodeId),
  completeReassignment: (n, [topic, partition, target]) => n.completeReassignment(topic, partition, target),
  registerBroker: (n, [nodeId, address]) => n.registerBroker(nodeId, address),
  syncMetadata: async () => undefined,
}

/**
 * DATA_CALLS serves the partition calls another node forwarded here (never forwarding them
 * again), and a new node's admission; one entry per PeerDataCalls method.
 */
const DATA_CALLS: {
  readonly [K in keyof PeerDataCalls]: (
    s: PeerServices,
    args: Parameters<PeerDataCalls[K]>,
    from?: PeerCallContext,
  ) => ReturnType<PeerDataCalls[K]>
} = {
  join: (s, [nodeId, address], from) => admit(s, nodeId, address, from),
  produce: (s, [request]) => s.produce.servePeer(request),
  fetch: async (s, [request]) => s.fetch.servePeer(request),
  listOffsets: (s, [partitions]) => s.node.listOffsets(partitions),
  deleteRecords: (s, [partitions]) => s.node.deleteRecords(partitions),
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
export async function servePeerRequest(s: PeerServices, method: string, args: unknown[], from?: PeerCallContext): Promise<unknown> {
  s.ctx.assertOpen()
  // Names and arguments come off the wire: a name is served only if it is in a table; the called
  // code checks its arguments as it checks a client's (hence the casts to the table's types).
  if (method.startsWith('meta:')) {
    if (!s.meta.isLeader()) throw new TributaryError('LEADER_NOT_AVAILABLE', `node ${s.ctx.nodeId} no longer leads the metadata group`)
    const name = method.slice(5)
    if (!Object.hasOwn(META_CALLS, name)) throw unknownMethod(method)
    if (name === 'registerBroker') checkRegistration(s, args[0], args[1], from)
    const value = await META_CALLS[name as MetaMethod](s.node, args as never)
    return { value, index: s.meta.applied }
  }
  if (method.startsWith('group:')) return s.groups.servePeer(method.slice(6), args)
  if (!Object.hasOwn(DATA_CALLS, method)) throw unknownMethod(method)
  return DATA_CALLS[method as keyof PeerDataCalls](s, args as never, from)
}

/**
 * admit serves a new node's `join`: its id and address must be well formed, a node authenticated
 * over TCP may join only as itself, and a join never re-points a node id that is already
 * registered elsewhere (a registered node moves itself with its own registration).
 * @throws TributaryError INVALID_REQUEST, CLUSTER_AUTHORIZATION_FAILED, DUPLICATE_BROKER_REGISTRATION.
 */
async function admit(s: PeerServices, nodeId: unknown, address: unknown, from: PeerCallContext | undefined): Promise<void> {
  const a = checkAddress(nodeId, address)
  const id = nodeId as number
  if (from?.peerId !== undefined && from.peerId !== id)
    throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `node ${from.peerId} cannot join as node ${id}`)
  const known = s.ctx.state.brokers.get(id)
  if (id === s.ctx.nodeId || (known !== undefined && (known.host !== a.host || known.port !== a.port)))
    throw new TributaryError('DUPLICATE_BROKER_REGISTRATION', `node ${id} is already registered at another address`, {
      details: { nodeId: id },
    })
  const k = a.kafka
  const port = (p: unknown): boolean => Number.isSafeInteger(p) && (p as number) > 0 && (p as number) <= 65535
  const kafka =
    k !== null && typeof k === 'object' && typeof k?.host === 'string' && port(k.port) ? { kafka: { host: k.host, port: k.port } } : {}
  await s.node.registerBroker(id, { host: a.host, port: a.port, ...(a.raftPort === undefined ? {} : { raftPort: a.raftPort }), ...kafka })
}

/**
 * checkRegistration guards a forwarded `meta:registerBroker`: a well-formed id and address, and
 * over an authenticated connection a node may move only itself (a node forwarding a new node's
 * join registers an id that is not registered yet).
 * @throws TributaryError INVALID_REQUEST, CLUSTER_AUTHORIZATION_FAILED.
 */
function checkRegistration(s: PeerServices, nodeId: unknown, address: unknown, from: PeerCallContext | undefined): void {
  const a = checkAddress(nodeId, address)
  const id = nodeId as number
  const known = s.ctx.state.brokers.get(id)
  const moves = known !== undefined && (known.host !== a.host || known.port !== a.port || known.raftPort !== a.raftPort)
  if (moves && from?.peerId !== undefined && from.peerId !== id)
    throw new TributaryError('CLUSTER_AUTHORIZATION_FAILED', `node ${from.peerId} cannot move node ${id} to another address`, {
      details: { nodeId: id },
    })
}

/** checkAddress checks a node id and a BrokerAddress read off the wire. @throws TributaryError INVALID_REQUEST. */
function checkAddress(nodeId: unknown, address: unknown): BrokerAddress {
  const a = address as BrokerAddress | null
  const port = (p: unknown): boolean => Number.isSafeInteger(p) && (p as number) > 0 && (p as number) <= 65535
  if (
    !Number.isSafeInteger(nodeId) ||
    (nodeId as number) <= 0 ||
    (nodeId as number) > 0xffffffff ||
    a === null ||
    typeof a !== 'object' ||
    typeof a.host !== 'string' ||
    a.host === '' ||
    a.host.length > 255 ||
    !port(a.port) ||
    (a.raftPort !== undefined && !port(a.raftPort))
  )
    throw new TributaryError(
      'INVALID_REQUEST',
      `a registration needs a node id and { host, port }, got ${String(nodeId)} ${JSON.stringify(address)?.slice(0, 200)}`,
    )
  return a as BrokerAddress
}

function unknownMethod(method: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `unknown peer method ${method}`)
}

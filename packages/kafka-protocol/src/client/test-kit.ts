import { type Server, type Socket, createServer } from 'node:net'
import { FrameDecoder } from '../codec/frame'
import { ALL_APIS, type ApiKey, type ResponseInput } from '../messages'
import { type KafkaRequest, decodeRequest, encodeResponse } from '../protocol'
import { KafkaBroker } from './kafka-broker'

/*
 * Test helpers of the Kafka backend: scripted Kafka brokers on localhost that decode requests with
 * the codec and answer as each test says, so routing, retries, negotiation and SASL are tested
 * against exact wire behaviour without a real cluster. Like Kafka, each fake answers one
 * connection's requests one at a time, in order. Imported by the tests of this folder, not copied.
 */

/** Reply is what a handler answers: a body, 'silent' (no answer), 'drop' (close the connection) or undefined (the default). */
export type Reply = Record<string, unknown> | 'silent' | 'drop' | undefined

/** Handler answers one request; it may be async (the broker holds the connection's next request meanwhile). */
export type Handler = (req: KafkaRequest, broker: FakeBroker, socket: Socket) => Reply | Promise<Reply>

/** FakeBroker is one scripted broker. */
export interface FakeBroker {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly address: string
  /** Every request received, decoded, in arrival order. */
  readonly requests: KafkaRequest[]
  readonly sockets: Set<Socket>
  readonly server: Server
}

/** FakeCluster is scripted brokers sharing one view of topics and leaders. */
export interface FakeCluster {
  readonly brokers: FakeBroker[]
  /** Leader node id per partition, per topic (-1: none); tests change it to move leaders. */
  leaders: Record<string, number[]>
  /** Topic ids (for Fetch v13+); default a fixed id per topic. */
  topicIds: Record<string, string>
  controllerId: number
  /** API ranges every broker advertises (default: everything the codec describes). */
  apiVersions: Array<{ apiKey: number; minVersion: number; maxVersion: number }>
  bootstrap(): string[]
  close(): Promise<void>
}

/** apisOf lists the codec's full ranges, or those of `only` (keys) with caps. */
export function apisOf(caps: Partial<Record<number, number>> = {}): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return ALL_APIS.map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: Math.min(a.maxVersion, caps[a.key] ?? a.maxVersion) }))
}

/**
 * fakeCluster starts `n` brokers (node ids 1..n). ApiVersions and Metadata are answered from the
 * cluster state unless `handler` answers first; anything else the handler does not answer closes
 * the connection (a test that forgets an API sees it fail).
 */
export async function fakeCluster(n: number, handler: Handler = () => undefined): Promise<FakeCluster> {
  const cluster: FakeCluster = {
    brokers: [],
    leaders: {},
    topicIds: {},
    controllerId: 1,
    apiVersions: apisOf(),
    bootstrap: () => cluster.brokers.map((b) => b.address),
    close: async () => {
      for (const b of cluster.brokers) {
        for (const s of b.sockets) s.destroy()
        await new Promise((r) => b.server.close(r))
      }
    },
  }
  for (let id = 1; id <= n; id++) cluster.brokers.push(await startBroker(id, cluster, handler))
  return cluster
}

async function startBroker(nodeId: number, cluster: FakeCluster, handler: Handler): Promise<FakeBroker> {
  const sockets = new Set<Socket>()
  const requests: KafkaRequest[] = []
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    const frames = new FrameDecoder()
    let chain = Promise.resolve()
    socket.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        chain = chain.then(() => answer(frame, socket))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  const broker: FakeBroker = { nodeId, host: '127.0.0.1', port, address: `127.0.0.1:${port}`, requests, sockets, server }

  async function answer(frame: Buffer, socket: Socket): Promise<void> {
    if (socket.destroyed) return
    const req = decodeRequest(frame)
    requests.push(req)
    let reply = await handler(req, broker, socket)
    if (reply === undefined) reply = defaultReply(req, cluster)
    if (reply === 'silent') return
    if (reply === 'drop' || reply === undefined) {
      socket.destroy()
      return
    }
    if (!socket.destroyed)
      socket.write(encodeResponse(req.apiKey, req.apiVersion, req.header.correlationId, reply as ResponseInput<ApiKey>))
  }
  return broker
}

/** defaultReply answers ApiVersions and Metadata from the cluster state. */
function defaultReply(req: KafkaRequest, cluster: FakeCluster): Reply {
  if (req.apiKey === 18) return { errorCode: 0, apiKeys: cluster.apiVersions, throttleTimeMs: 0 }
  if (req.apiKey === 3) {
    const asked =
      req.body.topics === null || req.body.topics.length === 0 ? Object.keys(cluster.leaders) : req.body.topics.map((t) => t.name ?? '')
    return {
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })),
      clusterId: 'fake-cluster',
      controllerId: cluster.controllerId,
      topics: asked.map((name) => {
        const leaders = cluster.leaders[name]
        if (leaders === undefined) return { errorCode: 3, name, topicId: ZERO, isInternal: false, partitions: [] }
        return {
          errorCode: 0,
          name,
          topicId: cluster.topicIds[name] ?? idFor(name),
          isInternal: false,
          partitions: leaders.map((leaderId, partitionIndex) => ({
            errorCode: leaderId < 0 ? 5 : 0,
            partitionIndex,
            leaderId,
            leaderEpoch: 0,
            replicaNodes: leaderId < 0 ? [] : [leaderId],
            isrNodes: leaderId < 0 ? [] : [leaderId],
            offlineReplicas: [],
          })),
        }
      }),
    }
  }
  return undefined
}

const ZERO = '00000000-0000-0000-0000-000000000000'

/** idFor is a fixed topic id derived from the name (tests compare them). */
export function idFor(name: string): string {
  const hex = Buffer.from(name.padEnd(16, '_').slice(0, 16)).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** requestsOf lists the API keys a broker received (ApiVersions left out). */
export function requestsOf(broker: FakeBroker): number[] {
  return broker.requests.filter((r) => r.apiKey !== 18).map((r) => r.apiKey)
}

/** Harness starts fake clusters and KafkaBrokers for one test file and closes them after each test. */
export interface Harness {
  cluster(n: number, handler?: Handler): Promise<FakeCluster>
  /** client is a KafkaBroker bootstrapped from the cluster's first broker. */
  client(c: FakeCluster, extra?: Record<string, unknown>): KafkaBroker
  /** track closes a KafkaBroker made by the test itself after the test. */
  track(b: KafkaBroker): KafkaBroker
}

/** useHarness registers an afterEach that closes what the test opened. */
export function useHarness(): Harness {
  let clusters: FakeCluster[] = []
  let brokers: KafkaBroker[] = []
  afterEach(async () => {
    await Promise.all(brokers.map((b) => b.close()))
    await Promise.all(clusters.map((c) => c.close()))
    brokers = []
    clusters = []
  })
  return {
    async cluster(n, handler) {
      const c = await fakeCluster(n, handler)
      clusters.push(c)
      return c
    },
    client(c, extra = {}) {
      const b = new KafkaBroker({ brokers: [c.bootstrap()[0] as string], ...extra })
      brokers.push(b)
      return b
    },
    track(b) {
      brokers.push(b)
      return b
    },
  }
}

/** produceHandler answers Produce with baseOffset = nodeId * 100 + partition (so an answer shows who gave it). */
export const produceHandler: Handler = (req, broker) => {
  if (req.apiKey !== 0) return undefined
  return {
    responses: req.body.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode: 0,
        baseOffset: broker.nodeId * 100 + p.index,
        logStartOffset: 0,
      })),
    })),
  }
}

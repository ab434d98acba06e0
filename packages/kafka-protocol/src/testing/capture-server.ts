import { type AddressInfo, type Server, type Socket, createServer } from 'node:net'
import { FrameDecoder } from '../codec/frame'
import { type ApiKey, getApi } from '../messages'
import { type KafkaRequest, decodeRequest, encodeResponse } from '../protocol'

/*
 * A tiny Kafka-speaking server for tests: it records every request frame a real client sends and
 * answers just enough (one broker, one partition per topic, batches kept in memory, one consumer
 * group with any number of members) for KafkaJS and librdkafka to go through their produce,
 * consume, group and admin paths. It is built on the codec only and exists to capture golden
 * frames and to check that real clients accept the codec's responses; the real server is
 * KafkaServer. Test-only: not exported from the package.
 */

/** CapturedFrame is one request frame as a client sent it (without its size prefix). */
export interface CapturedFrame {
  apiKey: number
  apiVersion: number
  api: string
  clientId: string | null
  payload: Buffer
}

interface StoredBatch {
  baseOffset: number
  bytes: Buffer
}

interface Member {
  memberId: string
  protocols: { name: string; metadata: Buffer }[]
}

/** CaptureServer is a running capture server. */
export interface CaptureServer {
  readonly port: number
  readonly frames: CapturedFrame[]
  /** Errors the server met (a frame it could not decode, a handler that threw). */
  readonly errors: Error[]
  close(): Promise<void>
}

const CODEC_RANGES = (apiKey: number) => getApi(apiKey)
const ADVERTISED: number[] = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 32, 36, 42]

/** startCaptureServer listens on 127.0.0.1 (an ephemeral port) and records what clients send. */
export async function startCaptureServer(): Promise<CaptureServer> {
  const frames: CapturedFrame[] = []
  const errors: Error[] = []
  const logs = new Map<string, StoredBatch[]>()
  const committed = new Map<string, number>()
  const group = { generation: 0, members: new Map<string, Member>(), assignments: new Map<string, Buffer>(), leader: '' }
  let nextMember = 0
  let port = 0

  const logOf = (topic: string) => {
    let log = logs.get(topic)
    if (!log) logs.set(topic, (log = []))
    return log
  }
  const endOf = (log: StoredBatch[]) => {
    const last = log[log.length - 1]
    // baseOffset + lastOffsetDelta (bytes 23-26 of a v2 batch) + 1.
    return last ? last.baseOffset + last.bytes.readInt32BE(23) + 1 : 0
  }

  const handle = async (req: KafkaRequest): Promise<unknown> => {
    switch (req.apiKey) {
      case 18:
        return {
          errorCode: 0,
          apiKeys: ADVERTISED.map((k) => {
            const api = CODEC_RANGES(k)!
            // SaslHandshake: never above v1 (see the facts); everything else as the codec knows it.
            return { apiKey: k, minVersion: api.minVersion, maxVersion: k === 17 ? 1 : api.maxStableVersion }
          }),
        }
      case 3: {
        const names =
          req.body.topics === null || (req.apiVersion === 0 && req.body.topics.length === 0)
            ? [...logs.keys()]
            : req.body.topics.map((t) => t.name ?? '')
        for (const name of names) logOf(name)
        return {
          brokers: [{ nodeId: 1, host: '127.0.0.1', port }],
          clusterId: 'capture',
          controllerId: 1,
          topics: names.map((name) => ({
            name,
            partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1] }],
          })),
        }
      }
      case 0:
        return {
          responses: req.body.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => {
              const log = logOf(t.name)
              const baseOffset = endOf(log)
              const bytes = Buffer.from(p.records ?? Buffer.alloc(0))
              if (bytes.length >= 61) {
                bytes.writeInt32BE(Math.floor(baseOffset / 2 ** 32), 0)
                bytes.writeUInt32BE(baseOffset >>> 0, 4)
                log.push({ baseOffset, bytes })
              }
              return { index: p.index, errorCode: 0, baseOffset, logStartOffset: 0 }
            }),
          })),
        }
      case 1: {
        const responses = req.body.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const log = logOf(t.topic)
            const batches = log.filter((b) => b.baseOffset + b.bytes.readInt32BE(23) >= p.fetchOffset).map((b) => b.bytes)
            return {
              partitionIndex: p.partition,
              highWatermark: endOf(log),
              lastStableOffset: endOf(log),
              logStartOffset: 0,
              records: Buffer.concat(batches),
            }
          }),
        }))
        // A short long-poll when there is nothing to return, so consumers do not spin.
        if (responses.every((t) => t.partitions.every((p) => p.records.length === 0))) await delay(Math.min(req.body.maxWaitMs, 100))
        return { responses }
      }
      case 2:
        return {
          topics: req.body.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              const end = endOf(logOf(t.name))
              const offset = p.timestamp === -2 ? 0 : end
              return { partitionIndex: p.partitionIndex, timestamp: -1, offset, oldStyleOffsets: [offset] }
            }),
          })),
        }
      case 10:
        return {
          nodeId: 1,
          host: '127.0.0.1',
          port,
          coordinators: req.body.coordinatorKeys.map((key) => ({ key, nodeId: 1, host: '127.0.0.1', port })),
        }
      case 11: {
        if (req.body.memberId === '' && req.apiVersion >= 4) return { errorCode: 79, memberId: `member-${nextMember++}` }
        const memberId = req.body.memberId || `member-${nextMember++}`
        group.members.set(memberId, { memberId, protocols: req.body.protocols })
        group.generation++
        group.leader = [...group.members.keys()][0]!
        const protocol = req.body.protocols[0]!.name
        const isLeader = memberId === group.leader
        return {
          generationId: group.generation,
          protocolType: req.body.protocolType,
          protocolName: protocol,
          leader: group.leader,
          memberId,
          members: isLeader ? [...group.members.values()].map((m) => ({ memberId: m.memberId, metadata: m.protocols[0]!.metadata })) : [],
        }
      }
      case 14:
        for (const a of req.body.assignments) group.assignments.set(a.memberId, Buffer.from(a.assignment))
        await delay(20)
        return {
          protocolType: req.body.protocolType,
          protocolName: req.body.protocolName,
          assignment: group.assignments.get(req.body.memberId) ?? Buffer.alloc(0),
        }
      case 12:
        return { errorCode: 0 }
      case 13:
        group.members.delete(req.body.memberId)
        for (const m of req.body.members) group.members.delete(m.memberId)
        return { members: req.body.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) }
      case 8:
        for (const t of req.body.topics) for (const p of t.partitions) committed.set(`${t.name}/${p.partitionIndex}`, p.committedOffset)
        return {
          topics: req.body.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex })),
          })),
        }
      case 9:
        return {
          topics: (req.body.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({
              partitionIndex: i,
              committedOffset: committed.get(`${t.name}/${i}`) ?? -1,
              metadata: '',
            })),
          })),
        }
      case 22:
        return { producerId: 1000, producerEpoch: 0 }
      case 19:
        for (const t of req.body.topics) logOf(t.name)
        return { topics: req.body.topics.map((t) => ({ name: t.name, numPartitions: 1, replicationFactor: 1 })) }
      case 20:
        return { responses: req.body.topicNames.map((name) => ({ name })) }
      case 15:
        return {
          groups: req.body.groups.map((groupId) => ({
            groupId,
            groupState: 'Stable',
            protocolType: 'consumer',
            members: [...group.members.values()].map((m) => ({
              memberId: m.memberId,
              clientId: 'c',
              clientHost: '/127.0.0.1',
              memberAssignment: group.assignments.get(m.memberId),
            })),
          })),
        }
      case 16:
        return { groups: [{ groupId: 'g', protocolType: 'consumer' }] }
      default:
        throw new Error(`the capture server does not answer ${req.apiKey}`)
    }
  }

  const serve = (socket: Socket) => {
    const decoder = new FrameDecoder()
    let chain = Promise.resolve()
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk) => {
      let payloads: Buffer[]
      try {
        payloads = decoder.push(chunk)
      } catch (err) {
        errors.push(err as Error)
        socket.destroy()
        return
      }
      for (const payload of payloads) {
        // Copy: the frame may be a view of a chunk the socket reuses.
        const copy = Buffer.from(payload)
        chain = chain.then(async () => {
          try {
            const req = decodeRequest(copy)
            frames.push({
              apiKey: req.apiKey,
              apiVersion: req.apiVersion,
              api: getApi(req.apiKey)!.name,
              clientId: req.header.clientId,
              payload: copy,
            })
            const noResponse = req.apiKey === 0 && req.body.acks === 0
            const body = await handle(req)
            if (!noResponse && !socket.destroyed)
              socket.write(encodeResponse(req.apiKey as ApiKey, req.apiVersion, req.header.correlationId, body as never))
          } catch (err) {
            errors.push(err as Error)
            socket.destroy()
          }
        })
      }
    })
  }

  const server: Server = createServer(serve)
  const sockets = new Set<Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  return {
    port,
    frames,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

import { type ApiKey, API_KEYS } from '../messages'
import { type KafkaRequest, decodeRequest, encodeRequest } from '../protocol'
import { readGolden } from './golden-kit'

/*
 * The committed golden frames (fixtures/*.json, captured from KafkaJS 2.2.4 and kcat 1.7.1 /
 * librdkafka 2.0.2 by real-clients.test.ts with UPDATE_GOLDEN=1): each decodes, re-encodes to the
 * same bytes, and carries what the client is known to send.
 */

const files = ['kafkajs-2.2.4.json', 'kcat-1.7.1-librdkafka-2.0.2.json']

function decoded(file: string, apiKey: number, apiVersion: number): KafkaRequest {
  const frame = readGolden(file).frames.find((f) => f.apiKey === apiKey && f.apiVersion === apiVersion)
  if (!frame) throw new Error(`${file} has no frame of API ${apiKey} v${apiVersion}`)
  return decodeRequest(Buffer.from(frame.hex, 'hex'))
}

describe.each(files)('%s', (file) => {
  const golden = readGolden(file)

  test.each(golden.frames.map((f) => [`${f.api} v${f.apiVersion}`, f] as const))(
    '%s decodes and re-encodes byte for byte',
    (_name, frame) => {
      const bytes = Buffer.from(frame.hex, 'hex')
      const req = decodeRequest(bytes)
      expect([req.apiKey, req.apiVersion]).toEqual([frame.apiKey, frame.apiVersion])
      expect(encodeRequest(req.apiKey as ApiKey, req.apiVersion, req.header, req.body as never).subarray(4)).toEqual(bytes)
    },
  )
})

describe('what the clients sent', () => {
  test('KafkaJS Produce v7: acks -1, one v2 record batch for golden/0, idempotent producer id', () => {
    const req = decoded('kafkajs-2.2.4.json', API_KEYS.Produce, 7)
    if (req.apiKey !== API_KEYS.Produce) throw new Error('not produce')
    expect(req.header.clientId).toBe('golden-kafkajs')
    expect(req.body).toMatchObject({ transactionalId: null, acks: -1 })
    const records = req.body.topicData[0]!.partitionData[0]!.records!
    expect(req.body.topicData[0]!.name).toBe('golden')
    expect(records[16]).toBe(2) // magic
    expect(records.readInt32BE(57)).toBe(2) // two records
    expect(Number(records.readBigInt64BE(43))).toBe(1000) // the producer id InitProducerId gave
  })

  test('KafkaJS JoinGroup v5 carries the consumer protocol and an empty then assigned member id', () => {
    const req = decoded('kafkajs-2.2.4.json', API_KEYS.JoinGroup, 5)
    if (req.apiKey !== API_KEYS.JoinGroup) throw new Error('not join')
    expect(req.body).toMatchObject({ groupId: 'golden-group', protocolType: 'consumer', groupInstanceId: null })
    expect(req.body.protocols.map((p) => p.name)).toContain('RoundRobinAssigner')
  })

  test('librdkafka ApiVersions v3 (flexible, request header v2) names its software', () => {
    const req = decoded('kcat-1.7.1-librdkafka-2.0.2.json', API_KEYS.ApiVersions, 3)
    if (req.apiKey !== API_KEYS.ApiVersions) throw new Error('not api versions')
    expect(req.body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' })
    expect(req.header.clientId).toBe('rdkafka')
  })

  test('librdkafka OffsetFetch v7 and InitProducerId v4 are flexible requests it sends', () => {
    const fetch = decoded('kcat-1.7.1-librdkafka-2.0.2.json', API_KEYS.OffsetFetch, 7)
    if (fetch.apiKey !== API_KEYS.OffsetFetch) throw new Error('not offset fetch')
    expect(fetch.body).toMatchObject({ groupId: 'golden-kcat-group', topics: [{ name: 'golden-kcat', partitionIndexes: [0] }] })
    const init = decoded('kcat-1.7.1-librdkafka-2.0.2.json', API_KEYS.InitProducerId, 4)
    if (init.apiKey !== API_KEYS.InitProducerId) throw new Error('not init producer id')
    expect(init.body).toMatchObject({ transactionalId: null, producerId: -1, producerEpoch: -1 })
  })

  test('librdkafka Fetch v11: sessionless, read-committed, current leader epoch unknown', () => {
    const req = decoded('kcat-1.7.1-librdkafka-2.0.2.json', API_KEYS.Fetch, 11)
    if (req.apiKey !== API_KEYS.Fetch) throw new Error('not fetch')
    expect(req.body).toMatchObject({ replicaId: -1, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: '' })
    expect(req.body.topics[0]!.partitions[0]).toMatchObject({ partition: 0, currentLeaderEpoch: -1 })
  })
})

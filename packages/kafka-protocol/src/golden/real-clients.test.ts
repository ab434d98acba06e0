import { mkdirSync } from 'node:fs'
import { Kafka, logLevel } from 'kafkajs'
import { type ApiKey, getApi } from '../messages'
import { decodeRequest, encodeRequest } from '../protocol'
import { type CaptureServer, type CapturedFrame, startCaptureServer } from '../testing/capture-server'
import { FIXTURES, firstPerVersion, run, writeGolden } from './golden-kit'

/*
 * Real clients against the capture server (built on this codec): KafkaJS 2.2.4 and kcat 1.7.1
 * (librdkafka 2.0.2) go through produce, consume, consumer-group and admin paths. Every request
 * frame they send must decode and re-encode to the same bytes, and the clients must accept every
 * response the codec encoded (their flows complete and read back what they wrote). kcat must be
 * installed (`apt-get install -y kcat`): without it this test fails, it does not skip.
 */

function expectByteExact(frames: readonly CapturedFrame[]): void {
  for (const f of frames) {
    const req = decodeRequest(f.payload)
    const again = encodeRequest(req.apiKey as ApiKey, req.apiVersion, req.header, req.body as never).subarray(4)
    if (!again.equals(f.payload))
      throw new Error(`${f.api} v${f.apiVersion} re-encodes differently:\n${f.payload.toString('hex')}\n${again.toString('hex')}`)
  }
}

const versionsSeen = (frames: readonly CapturedFrame[]) => new Set(frames.map((f) => `${f.api} v${f.apiVersion}`))

describe('golden frames from real clients', () => {
  let server: CaptureServer
  beforeEach(async () => {
    server = await startCaptureServer()
  })
  afterEach(async () => {
    await server.close()
  })

  test('KafkaJS 2.2.4: idempotent produce, a consumer group and admin calls, byte-exact', async () => {
    const kafka = new Kafka({
      clientId: 'golden-kafkajs',
      brokers: [`127.0.0.1:${server.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'golden', numPartitions: 1 }] })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const sent = [
      { key: 'k1', value: 'v1', headers: { h: 'one' } },
      { key: 'k2', value: 'v2', headers: { h: 'two' } },
    ]
    await producer.send({ topic: 'golden', acks: -1, messages: sent })
    const consumer = kafka.consumer({ groupId: 'golden-group', heartbeatInterval: 50, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'golden', fromBeginning: true })
    const received: { key: string; value: string; h: string }[] = []
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            received.push({ key: String(message.key), value: String(message.value), h: String(message.headers?.h) })
            if (received.length === sent.length) setTimeout(resolve, 200)
          },
        })
        .catch(reject)
    })
    await consumer.commitOffsets([{ topic: 'golden', partition: 0, offset: '2' }])
    await consumer.disconnect()
    const offsets = await admin.fetchTopicOffsets('golden')
    await admin.describeGroups(['golden-group'])
    await admin.listGroups()
    await admin.deleteTopics({ topics: ['golden'] })
    await admin.disconnect()
    await producer.disconnect()

    expect(server.errors).toEqual([])
    expect(received).toEqual(sent.map((m) => ({ key: m.key, value: m.value, h: m.headers.h })))
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, offset: '2', low: '0', high: '2' })])
    expect([...versionsSeen(server.frames)]).toEqual(
      expect.arrayContaining([
        'ApiVersions v2',
        'Metadata v6',
        'Produce v7',
        'Fetch v11',
        'InitProducerId v1',
        'FindCoordinator v2',
        'JoinGroup v5',
      ]),
    )
    expect([...versionsSeen(server.frames)]).toEqual(
      expect.arrayContaining(['SyncGroup v3', 'OffsetFetch v4', 'OffsetCommit v5', 'LeaveGroup v3']),
    )
    expect([...versionsSeen(server.frames)]).toEqual(
      expect.arrayContaining(['CreateTopics v3', 'DeleteTopics v1', 'DescribeGroups v2', 'ListGroups v2']),
    )
    expectByteExact(server.frames)
    saveFixture('kafkajs-2.2.4.json', 'KafkaJS 2.2.4', 'kafkajs', server.frames)
  })

  test('kcat 1.7.1 (librdkafka 2.0.2): metadata, idempotent produce with headers, consume, a balanced consumer, byte-exact', async () => {
    const broker = `127.0.0.1:${server.port}`
    const list = await run('kcat', ['-b', broker, '-L', '-t', 'golden-kcat'])
    expect(list.stderr).toBe('')
    expect(list.stdout).toContain('topic "golden-kcat" with 1 partitions')
    const input = ['k1:v1', 'k2:v2', 'k3:v3'].join('\n')
    const produce = await run('kcat', ['-b', broker, '-P', '-t', 'golden-kcat', '-K:', '-H', 'h=x', '-X', 'enable.idempotence=true'], input)
    expect(produce).toMatchObject({ code: 0 })
    const consume = await run('kcat', ['-b', broker, '-C', '-t', 'golden-kcat', '-o', 'beginning', '-e', '-f', '%k=%s %h\\n'])
    expect(consume.code).toBe(0)
    expect(consume.stdout).toBe('k1=v1 h=x\nk2=v2 h=x\nk3=v3 h=x\n')
    const group = await run('kcat', [
      '-b',
      broker,
      '-G',
      'golden-kcat-group',
      'golden-kcat',
      '-e',
      '-f',
      '%k=%s\\n',
      '-X',
      'topic.auto.offset.reset=earliest',
    ])
    expect(group.stdout).toBe('k1=v1\nk2=v2\nk3=v3\n')

    expect(server.errors).toEqual([])
    expect([...versionsSeen(server.frames)]).toEqual(
      expect.arrayContaining(['ApiVersions v3', 'Metadata v4', 'Produce v7', 'Fetch v11', 'ListOffsets v2', 'InitProducerId v4']),
    )
    expect([...versionsSeen(server.frames)]).toEqual(
      expect.arrayContaining(['FindCoordinator v2', 'JoinGroup v5', 'SyncGroup v3', 'OffsetFetch v7', 'OffsetCommit v7', 'LeaveGroup v1']),
    )
    expectByteExact(server.frames)
    saveFixture('kcat-1.7.1-librdkafka-2.0.2.json', 'kcat 1.7.1 (librdkafka 2.0.2)', 'kcat', server.frames)
  })
})

function saveFixture(file: string, client: string, how: string, frames: readonly CapturedFrame[]): void {
  mkdirSync(FIXTURES, { recursive: true })
  const howText =
    how === 'kafkajs'
      ? 'src/golden/real-clients.test.ts with UPDATE_GOLDEN=1: KafkaJS 2.2.4 admin createTopics, idempotent producer.send (acks -1, keys, headers), a consumer group reading them back, commitOffsets, disconnect, admin fetchTopicOffsets/describeGroups/listGroups/deleteTopics, against src/testing/capture-server.ts'
      : 'src/golden/real-clients.test.ts with UPDATE_GOLDEN=1: kcat -L, kcat -P -K: -H h=x -X enable.idempotence=true, kcat -C -o beginning -e, kcat -G (balanced consumer) -e, against src/testing/capture-server.ts'
  writeGolden(file, { client, how: howText, frames: firstPerVersion(frames) })
  for (const f of frames) expect(getApi(f.apiKey)).toBeDefined()
}

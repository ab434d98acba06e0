/*
 * large-frame-stall: how long one large request holds a server's event loop. The server (a
 * KafkaServer over a LocalBroker on file storage, or a one-node ClusterNode's client port) runs in
 * this process; a child process sends ONE produce of SIZE_MIB (one batch of 1 MiB records) while a
 * second connection of this process asks a tiny request every 5 ms. Reports the event loop's
 * longest delay (perf_hooks.monitorEventLoopDelay), the tiny requests' worst latency and how many
 * were answered while the large one was in flight.
 *
 *   pnpm tsx bench/large-frame-stall.ts [kafka|wire] [SIZE_MIB=90]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/large-frame-stall.ts kafka 90
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { type Socket, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { Tributary } from '@tributary/client'
import { ClusterNode } from '@tributary/cluster'
import { type Broker, LocalBroker, encodeRecordBatch } from '@tributary/core'
import { FileStorage } from '@tributary/storage-file'
import { KafkaServer, encodeRequest, registerKafkaCodecs } from '@tributary/kafka-protocol'

const RECORD_BYTES = 1024 * 1024

function bigBatch(sizeMiB: number): Buffer {
  const records = Array.from({ length: sizeMiB }, (_, i) => {
    const value = Buffer.allocUnsafe(RECORD_BYTES)
    for (let j = 0; j < value.length; j += 4) value.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j)
    return { key: Buffer.from(`k${i}`), value, headers: [], timestamp: Date.now() }
  })
  return encodeRecordBatch(records)
}

/** sender (the child): builds the request, says ready, sends it on 'go', reports when answered. */
async function sender(mode: string, address: string, sizeMiB: number): Promise<void> {
  const [host, port] = [address.split(':')[0] as string, Number(address.split(':')[1])]
  const batch = bigBatch(sizeMiB)
  let send: () => Promise<void>
  if (mode === 'kafka') {
    const request = encodeRequest(
      0,
      7,
      { correlationId: 1 },
      { acks: 1, timeoutMs: 60_000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: batch }] }] },
    )
    const c = await rawClient(port, host)
    send = () => c.request(request)
  } else {
    const client = await Tributary.connect({ brokers: [address], requestTimeoutMs: 120_000 })
    send = async () =>
      void (await client.broker.produce({ acks: 1, timeoutMs: 60_000, partitions: [{ topic: 'big', partition: 0, batch }] }))
  }
  process.send?.('ready')
  process.once('message', async () => {
    await send()
    process.send?.('done', () => process.exit(0))
  })
}

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'kafka') as 'kafka' | 'wire'
  const sizeMiB = Number(process.argv[3] ?? 90)
  registerKafkaCodecs()
  const dir = mkdtempSync(join(tmpdir(), 'tributary-stall-'))
  const topicConfig = [{ name: 'max.message.bytes', value: String(200 * 1024 * 1024) }]
  let small: () => Promise<void>
  let close: () => Promise<void>
  let broker: Broker
  let address: string
  if (mode === 'kafka') {
    const local = await LocalBroker.open({ storage: new FileStorage({ dir }) })
    broker = local
    await local.createTopics([{ topic: 'big', numPartitions: 1, configEntries: topicConfig }])
    const server = await KafkaServer.start({ broker: local, listen: '127.0.0.1:0', maxRequestBytes: 256 * 1024 * 1024 })
    address = `127.0.0.1:${server.address.port}`
    const tiny = await rawClient(server.address.port, '127.0.0.1')
    let id = 1
    small = () => tiny.request(encodeRequest(18, 0, { correlationId: id++ }, {} as never))
    close = async () => {
      tiny.socket.destroy()
      await server.close()
      await local.close()
    }
  } else {
    const node = await ClusterNode.start({ nodeId: 1, listen: '127.0.0.1:0', peers: {}, dir })
    broker = node
    await node.createTopics([{ topic: 'big', numPartitions: 1, replicationFactor: 1, configEntries: topicConfig }])
    address = node.address
    const client = await Tributary.connect({ brokers: [address] })
    small = async () => void (await client.broker.listGroups())
    close = async () => {
      await client.close()
      await node.close()
    }
  }
  const child = fork(__filename, ['--send', mode, address, String(sizeMiB)], { execArgv: ['--import', 'tsx'] })
  await new Promise((resolve) => child.once('message', resolve))
  await small()
  const h = monitorEventLoopDelay({ resolution: 5 })
  let answered = 0
  let worstSmallMs = 0
  let inFlight = true
  h.enable()
  const t0 = performance.now()
  const done = new Promise((resolve) => child.once('message', resolve))
  child.send('go')
  const pinger = (async () => {
    while (inFlight) {
      const t = performance.now()
      await small()
      worstSmallMs = Math.max(worstSmallMs, performance.now() - t)
      answered++
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  await done
  const totalMs = performance.now() - t0
  inFlight = false
  await pinger
  h.disable()
  const ms = (ns: number) => (ns / 1e6).toFixed(1)
  const written = (await broker.listOffsets([{ topic: 'big', partition: 0, timestamp: -1 }]))[0]?.offset
  process.stdout.write(
    `${mode} ${sizeMiB} MiB: produce ${totalMs.toFixed(0)} ms; server loop delay max ${ms(h.max)} ms, p99 ${ms(h.percentile(99))} ms; ` +
      `tiny requests answered meanwhile ${answered}, worst ${worstSmallMs.toFixed(1)} ms; records written ${written}\n`,
  )
  await close()
  rmSync(dir, { recursive: true, force: true })
}

/** rawClient is a Kafka connection that answers one request at a time (responses by correlation order). */
async function rawClient(port: number, host: string): Promise<{ socket: Socket; request(frame: Buffer): Promise<void> }> {
  const socket = connect(port, host)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const waiting: Array<() => void> = []
  let buffered = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      buffered = buffered.subarray(4 + buffered.readInt32BE(0))
      waiting.shift()?.()
    }
  })
  return {
    socket,
    request: (frame) =>
      new Promise<void>((resolve) => {
        waiting.push(resolve)
        socket.write(frame)
      }),
  }
}

const run = process.argv[2] === '--send' ? sender(process.argv[3] as string, process.argv[4] as string, Number(process.argv[5])) : main()
run.catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`)
  process.exit(1)
})

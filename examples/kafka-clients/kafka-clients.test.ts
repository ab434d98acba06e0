import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requirePython, requireTool, run, start } from '../../tests/kafka/kit'
import { ROOT } from '../run-example'

/*
 * The examples of this folder as CI smoke tests: the KafkaJS app, the Python app, the Go app and the
 * kcat pipeline run against `tributary serve` (a process, as a user starts it); the Python consumer
 * reads what the embedded Node service wrote.
 */

const HERE = join(ROOT, 'examples', 'kafka-clients')
const BIN = join(ROOT, 'packages', 'cli', 'src', 'bin.ts')
/** SARAMA is where Debian's golang-github-shopify-sarama-dev puts the library's sources. */
const SARAMA = '/usr/share/gocode/src/github.com/Shopify/sarama'

let serve: ReturnType<typeof start>
let brokers: string
beforeAll(async () => {
  requireTool('kcat', 'apt-get install -y kcat')
  requirePython('confluent_kafka', 'python3-confluent-kafka')
  serve = start(process.execPath, ['--import', 'tsx', BIN, 'serve', '--kafka', '127.0.0.1:0', '--log-level', 'warn'])
  await serve.waitFor((out) => out.includes('kafka listening on'), 30_000, 'tributary serve')
  brokers = /kafka listening on (\S+)/.exec(serve.stdout())?.[1] as string
}, 60_000)
afterAll(async () => {
  expect(await serve.stop()).toBe(0)
})

test('the KafkaJS app runs unchanged against tributary serve', async () => {
  const r = await run(process.execPath, ['--import', 'tsx', join(HERE, 'kafkajs-app.ts')], { env: { KAFKA_BROKERS: brokers } })
  expect(r.stderr).toBe('')
  expect(r.stdout).toContain('produced 6 orders')
  expect(r.stdout.match(/^received partition=/gm)).toHaveLength(6)
  expect(r.stdout).toContain('consumed 6 orders')
}, 60_000)

test('the Python app (confluent-kafka) produces and consumes in a group', async () => {
  const r = await run('/usr/bin/python3', [join(HERE, 'python-app.py')], { env: { KAFKA_BROKERS: brokers } })
  expect(r.code).toBe(0)
  expect(r.stdout).toContain('produced 5 readings')
  expect(r.stdout).toContain('consumed 5')
}, 60_000)

test('the kcat pipeline counts events per key', async () => {
  const r = await run('bash', [join(HERE, 'kcat-pipeline.sh')], { env: { KAFKA_BROKERS: brokers } })
  expect(r.code).toBe(0)
  expect(r.stdout).toBe('alice=3\nbob=2\n')
}, 60_000)

test('the Go app (Sarama, from Debian) produces with acks=all and consumes in a group', async () => {
  requireTool('go', 'apt-get install -y golang-go golang-github-shopify-sarama-dev')
  if (!existsSync(SARAMA))
    throw new Error(`${SARAMA} is missing: apt-get install -y golang-github-shopify-sarama-dev (.ci/run installs it)`)
  // Debian ships Go libraries as GOPATH sources: no modules, nothing downloaded.
  const dir = mkdtempSync(join(tmpdir(), 'go-app-'))
  try {
    const env = { GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', KAFKA_BROKERS: brokers }
    const build = await run('go', ['build', '-o', join(dir, 'go-app'), join(HERE, 'go-app', 'main.go')], { env, timeoutMs: 240_000 })
    expect(build.code).toBe(0)
    const r = await run(join(dir, 'go-app'), [], { env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('produced 5 orders')
    expect(r.stdout.match(/^received partition=0 offset=\d key=customer-\d value=order \d$/gm)).toHaveLength(5)
    expect(r.stdout).toContain('consumed 5 orders')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 300_000)

test('a Python consumer reads what a Node service embedding Tributary wrote', async () => {
  const service = start(process.execPath, ['--import', 'tsx', join(HERE, 'embedded-service.ts')])
  try {
    await service.waitFor((out) => out.includes('kafka listening on'), 30_000, 'the embedded service')
    const address = /kafka listening on (\S+)/.exec(service.stdout())?.[1] as string
    const r = await run('/usr/bin/python3', [join(HERE, 'python-app.py')], {
      env: { KAFKA_BROKERS: address, TOPIC: 'service-events', EXPECT: '4' },
    })
    expect(r.code).toBe(0)
    expect(r.stdout.match(/^received key=job-\d value=done \d$/gm)).toHaveLength(4)
    expect(r.stdout).toContain('consumed 4')
  } finally {
    expect(await service.stop()).toBe(0)
  }
}, 60_000)

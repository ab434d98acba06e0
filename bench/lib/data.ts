import { randomBytes } from 'node:crypto'

/** KEY_BYTES and VALUE_BYTES are the message shape of every workload unless it says otherwise. */
export const KEY_BYTES = 16
export const VALUE_BYTES = 100
export const MESSAGE_PAYLOAD_BYTES = KEY_BYTES + VALUE_BYTES

/** POOL_SIZE distinct messages are cycled; bounded so that a 10M backlog needs no 1 GiB of input. */
const POOL_SIZE = 65_536

/** Message is one key and value, as views into the pool's random bytes. */
export interface Message {
  key: Buffer
  value: Buffer
  /** payload is the key and value as one view (they are adjacent), for peers without keys. */
  payload: Buffer
}

/**
 * MessagePool holds POOL_SIZE messages of random bytes (generated once per process) and hands
 * them out cyclically: message `i` is `pool[i % POOL_SIZE]`.
 */
export class MessagePool {
  private readonly messages: Message[] = []

  constructor() {
    const bytes = randomBytes(POOL_SIZE * MESSAGE_PAYLOAD_BYTES)
    for (let i = 0; i < POOL_SIZE; i++) {
      const at = i * MESSAGE_PAYLOAD_BYTES
      this.messages.push({
        key: bytes.subarray(at, at + KEY_BYTES),
        value: bytes.subarray(at + KEY_BYTES, at + MESSAGE_PAYLOAD_BYTES),
        payload: bytes.subarray(at, at + MESSAGE_PAYLOAD_BYTES),
      })
    }
  }

  at(i: number): Message {
    return this.messages[i % POOL_SIZE]!
  }

  /** batch returns messages [from, from + count) as a new array. */
  batch(from: number, count: number): Message[] {
    const out = new Array<Message>(count)
    for (let i = 0; i < count; i++) out[i] = this.at(from + i)
    return out
  }
}

let shared: MessagePool | null = null

/** messagePool returns the process's pool, creating it on first use. */
export function messagePool(): MessagePool {
  shared ??= new MessagePool()
  return shared
}

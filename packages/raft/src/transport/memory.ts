import type { Message, NodeId } from '../core/types'
import type { InboundHandler, Transport } from './transport'

/**
 * MemoryNetwork connects MemoryTransports inside one process. Messages are delivered on a later
 * macrotask (never synchronously, as on a real network) and links can be cut for tests.
 */
export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, InboundHandler>()
  private readonly cut = new Set<string>()
  private queue: { groupId: string; message: Message }[] = []
  private scheduled = false

  /** transport returns the endpoint of node `id`. */
  transport(id: NodeId): MemoryTransport {
    return new MemoryTransport(id, this)
  }

  /** isolate cuts every link of `id`; heal restores all links. */
  isolate(id: NodeId): void {
    this.cut.add(`*${id}`)
  }

  heal(): void {
    this.cut.clear()
  }

  /** @internal */
  register(id: NodeId, handler: InboundHandler | undefined): void {
    if (handler === undefined) this.handlers.delete(id)
    else this.handlers.set(id, handler)
  }

  /** @internal */
  enqueue(groupId: string, message: Message): void {
    this.queue.push({ groupId, message })
    if (this.scheduled) return
    this.scheduled = true
    // One macrotask delivers everything queued meanwhile, like one network read per batch.
    setImmediate(() => this.deliver())
  }

  private deliver(): void {
    const batch = this.queue
    this.queue = []
    this.scheduled = false
    for (const { groupId, message } of batch) {
      if (this.cut.has(`*${message.from}`) || this.cut.has(`*${message.to}`)) continue
      this.handlers.get(message.to)?.(groupId, message)
    }
  }
}

/** MemoryTransport is one node's endpoint on a MemoryNetwork. */
export class MemoryTransport implements Transport {
  constructor(readonly id: NodeId, private readonly network: MemoryNetwork) {}

  send(groupId: string, message: Message): void {
    this.network.enqueue(groupId, message)
  }

  onMessage(handler: InboundHandler): void {
    this.network.register(this.id, handler)
  }

  async close(): Promise<void> {
    this.network.register(this.id, undefined)
  }
}

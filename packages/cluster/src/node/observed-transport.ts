import type { Message, InboundHandler, Transport } from '@tributary/raft'

/**
 * ObservedTransport wraps a Transport so the cluster node sees every inbound Raft message before
 * its group does: which peers were heard from lately (liveness without a leader) and how far
 * followers have replicated (the ISR behind `min.insync.replicas`). The Raft core stays untouched.
 */
export class ObservedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly observe: (groupId: string, m: Message) => void,
  ) {}

  send(groupId: string, message: Message): void {
    this.inner.send(groupId, message)
  }

  onMessage(handler: InboundHandler): void {
    this.inner.onMessage((groupId, m) => {
      this.observe(groupId, m)
      handler(groupId, m)
    })
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

import type { Message } from '../core/types'

/** InboundHandler receives one message for one Raft group. */
export type InboundHandler = (groupId: string, message: Message) => void

/**
 * Transport carries Raft messages between nodes. Delivery is best effort: Raft tolerates loss,
 * duplication and reordering, so a transport may drop when a bounded queue is full or a peer is
 * down, and must never block the caller.
 */
export interface Transport {
  /** send queues `message` (its `to` names the peer) for group `groupId`. */
  send(groupId: string, message: Message): void
  /** onMessage installs the single handler for inbound messages. */
  onMessage(handler: InboundHandler): void
  close(): Promise<void>
}

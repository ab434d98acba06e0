import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/*
 * How cluster peers prove to each other that they hold the cluster secret, per connection, without
 * sending it (HMAC-SHA-256 challenge–response, both ways, with fresh nonces so that nothing a
 * listener sees can be replayed on another connection):
 *
 *   acceptor → dialer   nonceA (32 random bytes)
 *   dialer → acceptor   nodeId, nonceD, HMAC(secret, "tributary dialer" | purpose | nonceA | nonceD | nodeId)
 *   acceptor → dialer   HMAC(secret, "tributary acceptor" | purpose | nonceA | nonceD | nodeId)
 *
 * `purpose` separates the Raft port's handshake from the client port's, so a proof made for one
 * is worthless on the other.
 */

/** PEER_NONCE_BYTES is the size of each nonce. */
export const PEER_NONCE_BYTES = 32
/** PEER_PROOF_BYTES is the size of each proof (HMAC-SHA-256). */
export const PEER_PROOF_BYTES = 32

/** peerNonce makes a fresh nonce. */
export function peerNonce(): Buffer {
  return randomBytes(PEER_NONCE_BYTES)
}

/** peerProof is the proof one side sends. */
export function peerProof(
  secret: string,
  side: 'dialer' | 'acceptor',
  purpose: string,
  nonceA: Buffer,
  nonceD: Buffer,
  nodeId: number,
): Buffer {
  const id = Buffer.alloc(4)
  id.writeUInt32BE(nodeId >>> 0)
  return createHmac('sha256', secret).update(`tributary ${side}|${purpose}|`).update(nonceA).update(nonceD).update(id).digest()
}

/** verifyPeerProof checks a proof in time that does not depend on where it differs. */
export function verifyPeerProof(
  proof: Uint8Array,
  secret: string,
  side: 'dialer' | 'acceptor',
  purpose: string,
  nonceA: Buffer,
  nonceD: Buffer,
  nodeId: number,
): boolean {
  const want = peerProof(secret, side, purpose, nonceA, nonceD, nodeId)
  return proof.byteLength === want.byteLength && timingSafeEqual(proof, want)
}

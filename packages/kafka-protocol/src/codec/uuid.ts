/*
 * Kafka's UUID type travels as 16 bytes (most significant long first). Tributary names topics by
 * the canonical text form (`8-4-4-4-12` lowercase hex, as crypto.randomUUID() makes them), so the
 * codec converts at the edge. Kafka reserves the all-zero id for "none".
 */

/** ZERO_UUID is Kafka's "no id" value (`Uuid.ZERO_UUID`). */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** uuidToString formats the 16 bytes at `pos` in canonical form. */
export function uuidToString(buf: Uint8Array, pos: number): string {
  let s = ''
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'
    s += HEX[buf[pos + i]!]
  }
  return s
}

/** isUuid tells whether `s` is a UUID in canonical text form. */
export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s)
}

/** writeUuid writes the canonical-form `uuid` (already checked with isUuid) as 16 bytes at `pos`. */
export function writeUuid(uuid: string, buf: Uint8Array, pos: number): void {
  let j = 0
  for (let i = 0; i < 16; i++) {
    if (uuid.charCodeAt(j) === 45) j++
    buf[pos + i] = Number.parseInt(uuid.slice(j, j + 2), 16)
    j += 2
  }
}

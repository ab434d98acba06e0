import type { RecordHeader } from '@tributary/core'
import { UsageError } from './exit-codes'

/*
 * How `tributary consume` prints a message. --format takes kcat-style % placeholders:
 *
 *   %t topic   %p partition   %o offset   %T timestamp (ms)   %k key   %v (or %s) value
 *   %h headers (k=v,…)   %K key length   %V value length   %% a percent sign
 *
 * and the escapes \n, \t, \\ . A null key or value prints as nothing (kcat's default). --json
 * prints one JSON object per message instead. Keys, values and header values are decoded as
 * --encoding says: text (UTF-8), json (parsed; text when it is not JSON), hex or base64.
 */

/** Encoding says how message bytes are shown. */
export type Encoding = 'text' | 'json' | 'hex' | 'base64'

/** ENCODINGS lists the --encoding choices. */
export const ENCODINGS: readonly Encoding[] = ['text', 'json', 'hex', 'base64']

/** ShownMessage is what is printed of one message. */
export interface ShownMessage {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** DEFAULT_FORMAT prints the value on its own line. */
export const DEFAULT_FORMAT = '%v\\n'

/** compileFormat turns a --format string into a printer, checking every placeholder once. */
export function compileFormat(format: string, encoding: Encoding): (m: ShownMessage) => string {
  const parts: Array<string | ((m: ShownMessage) => string)> = []
  let text = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string
    if (c === '\\' && i + 1 < format.length) {
      const n = format[++i] as string
      text += n === 'n' ? '\n' : n === 't' ? '\t' : n === '\\' ? '\\' : `\\${n}`
      continue
    }
    if (c !== '%') {
      text += c
      continue
    }
    const p = format[++i]
    if (p === '%') {
      text += '%'
      continue
    }
    const part = PLACEHOLDERS[p ?? '']
    if (part === undefined) throw new UsageError(`--format: unknown placeholder %${p ?? ''} (use %t %p %o %T %k %v %h %K %V %%)`)
    if (text) parts.push(text)
    text = ''
    parts.push((m) => part(m, encoding))
  }
  if (text) parts.push(text)
  return (m) => parts.map((part) => (typeof part === 'string' ? part : part(m))).join('')
}

const PLACEHOLDERS: Record<string, (m: ShownMessage, e: Encoding) => string> = {
  t: (m) => m.topic,
  p: (m) => String(m.partition),
  o: (m) => String(m.offset),
  T: (m) => String(m.timestamp),
  k: (m, e) => showText(m.key, e),
  v: (m, e) => showText(m.value, e),
  s: (m, e) => showText(m.value, e),
  h: (m, e) => m.headers.map((h) => `${h.key}=${showText(h.value, e)}`).join(','),
  K: (m) => String(m.key?.length ?? -1),
  V: (m) => String(m.value?.length ?? -1),
}

function showText(bytes: Buffer | null, encoding: Encoding): string {
  const shown = decode(bytes, encoding)
  return shown === null ? '' : typeof shown === 'string' ? shown : JSON.stringify(shown)
}

/** decode shows bytes as the encoding says (json: the parsed value, or the text when it is not JSON). */
export function decode(bytes: Buffer | null, encoding: Encoding): unknown {
  if (bytes === null) return null
  if (encoding === 'hex') return bytes.toString('hex')
  if (encoding === 'base64') return bytes.toString('base64')
  const text = bytes.toString('utf8')
  if (encoding === 'json') {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/** toJson is --json's object for one message. */
export function toJson(m: ShownMessage, encoding: Encoding): Record<string, unknown> {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: decode(m.key, encoding),
    value: decode(m.value, encoding),
    headers: Object.fromEntries(m.headers.map((h) => [h.key, decode(h.value, encoding)])),
  }
}

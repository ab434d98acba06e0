import { isIP } from 'node:net'

/** HostPort is a listener or advertised address. */
export interface HostPort {
  host: string
  port: number
}

/**
 * parseHostPort reads 'host:port', '[v6]:port' or a `{ host, port }` object; undefined when the
 * input has neither form or the port is outside 0-65535.
 */
export function parseHostPort(value: unknown): HostPort | undefined {
  if (value !== null && typeof value === 'object') {
    const { host, port } = value as Record<string, unknown>
    if (typeof host === 'string' && host !== '' && isPort(port)) return { host, port }
    return undefined
  }
  if (typeof value !== 'string') return undefined
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim())
  if (!m) return undefined
  const port = Number(m[3])
  return isPort(port) ? { host: (m[1] ?? m[2]) as string, port } : undefined
}

/** formatHostPort writes an address back as 'host:port' ('[v6]:port' for IPv6 literals). */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/** isLoopbackHost tells whether binding `host` keeps a listener on this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/** isWildcardHost tells whether `host` binds every interface (an address no client can dial). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === ''
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535
}

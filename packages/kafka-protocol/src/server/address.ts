/** Listen addresses are shared by every listener: see @tributary/core/net. */
export { parseHostPort, formatHostPort, isLoopbackHost, isWildcardHost } from '@tributary/core/net'
export type { HostPort } from '@tributary/core/net'

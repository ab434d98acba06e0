/** The SCRAM and PLAIN server exchanges are shared by every listener: see @tributary/core/net. */
export { ScramExchange, PlainExchange } from '@tributary/core/net'
export type { SaslExchange, SaslStep } from '@tributary/core/net'

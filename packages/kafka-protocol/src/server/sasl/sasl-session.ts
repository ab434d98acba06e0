/** The SASL state machine is shared by every listener: see @tributary/core/net. */
export { SaslSession } from '@tributary/core/net'
export type { SaslState } from '@tributary/core/net'

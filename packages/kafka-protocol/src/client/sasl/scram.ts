/** The SCRAM client is shared by every dialer: see @tributary/core/net. */
export { ScramClient, scramNonce, saslName, MIN_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS } from '@tributary/core/net'
export type { ScramMechanism } from '@tributary/core/net'

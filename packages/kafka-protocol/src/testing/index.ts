/**
 * @tributary/kafka-protocol/testing: support for tests of Kafka listeners (not part of the
 * runtime API).
 */
export { type RawClient, rawClient } from './raw-client'

/**
 * @tributary/kafka-protocol — Tributary speaks Kafka: the schema-driven codec of the Kafka wire
 * protocol, the compression codecs Kafka clients use, and a Kafka protocol server over any Broker.
 */
export const KAFKA_PROTOCOL_PACKAGE = '@tributary/kafka-protocol'

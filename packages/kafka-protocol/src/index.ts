/**
 * @tributary/kafka-protocol — Tributary speaks Kafka: the schema-driven codec of the Kafka wire
 * protocol, the compression codecs Kafka clients use, and a Kafka protocol server over any Broker.
 */
export const KAFKA_PROTOCOL_PACKAGE = '@tributary/kafka-protocol'

// ---- Compression (src/compression/): Kafka's codecs for core's registry --------------------------
export { registerKafkaCodecs, snappyCodec, lz4Codec, zstdCodec } from './compression/kafka-codecs'
export { snappyCompress, snappyCompressRaw, snappyDecompress } from './compression/snappy'
export { lz4Compress, lz4Decompress } from './compression/lz4'
export { zstdCompress, zstdDecompress } from './compression/zstd'
// ---- end of compression ---------------------------------------------------------------------------

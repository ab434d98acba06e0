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

// ---- Server (src/server/): KafkaServer serves any Broker to Kafka clients ---------------------------
export { KafkaServer, advertisedApis } from './server/kafka-server'
export { SERVER_DEFAULTS, SASL_MECHANISMS, resolveServerOptions } from './server/options'
export { singleNodeTopology } from './server/topology'
export { scramCredential, toScramCredentialJson } from './server/sasl/credentials'
export { parseHostPort, formatHostPort } from './server/address'
export type { AdvertisedApi } from './server/kafka-server'
export type {
  KafkaServerOptions,
  ResolvedServerOptions,
  SaslOptions,
  SaslUser,
  SaslMechanism,
  ScramCredential,
  TlsServerOptions,
} from './server/options'
export type { ServerTopology } from './server/topology'
export type { HostPort } from './server/address'
// ---- end of server ----------------------------------------------------------------------------------

// ---- Codec (src/codec/, src/messages/): entry points, framing, errors --------------------------------
export {
  decodeRequestHeader,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  encodeResponseChunks,
  readResponseCorrelationId,
  headerVersions,
} from './protocol'
export { FrameDecoder, readFrameSize, writeFrameSize, FRAME_SIZE_BYTES, DEFAULT_MAX_FRAME_BYTES } from './codec/frame'
export { KafkaProtocolError, isKafkaProtocolError } from './codec/errors'
export { NO_ERROR, kafkaErrorName, errorCodeOf, errorFromKafkaCode } from './error-codes'
export { requestHeaderVersionFor, responseHeaderVersionFor } from './codec/headers'
export { ZERO_UUID, isUuid } from './codec/uuid'
export { isFlexible } from './codec/api'
export { parseVersions, inVersions } from './codec/versions'
export { f, message } from './codec/schema'
export { defineApi } from './codec/api'
export { defaultStruct, generateSource } from './codec/compiler'

// The registry and one definition per API (src/messages/).
export {
  ALL_APIS,
  API_KEYS,
  getApi,
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  SaslHandshake,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  DeleteRecords,
  InitProducerId,
  OffsetForLeaderEpoch,
  DescribeConfigs,
  AlterConfigs,
  SaslAuthenticate,
  CreatePartitions,
  DeleteGroups,
  IncrementalAlterConfigs,
  DescribeCluster,
} from './messages'

export type { KafkaRequest, DecodedRequestHeader, DecodedResponse, EncodeRequestHeader, ChunkOptions } from './protocol'
export type { FrameDecoderOptions } from './codec/frame'
export type { KafkaProtocolErrorDetails } from './codec/errors'
export type { RequestHeader, RequestHeaderVersion, ResponseHeaderVersion } from './codec/headers'
export type { ApiDefinition } from './codec/api'
export type { VersionRange } from './codec/versions'
export type {
  ArrayField,
  BodyOf,
  DefaultValue,
  Field,
  FieldOptions,
  InputOf,
  MessageSpec,
  ScalarField,
  ScalarKind,
  StructField,
  StructOf,
  VersionSpec,
} from './codec/schema'
export type { ApiKey, ApiName, RequestBodies, ResponseBodies, RequestInput, ResponseInput } from './messages'
export type { ProduceRequest, ProduceResponse } from './messages/00-produce'
export type { FetchRequest, FetchResponse } from './messages/01-fetch'
export type { ListOffsetsRequest, ListOffsetsResponse } from './messages/02-list-offsets'
export type { MetadataRequest, MetadataResponse } from './messages/03-metadata'
export type { OffsetCommitRequest, OffsetCommitResponse } from './messages/08-offset-commit'
export type { OffsetFetchRequest, OffsetFetchResponse } from './messages/09-offset-fetch'
export type { FindCoordinatorRequest, FindCoordinatorResponse } from './messages/10-find-coordinator'
export type { JoinGroupRequest, JoinGroupResponse } from './messages/11-join-group'
export type { HeartbeatRequest, HeartbeatResponse } from './messages/12-heartbeat'
export type { LeaveGroupRequest, LeaveGroupResponse } from './messages/13-leave-group'
export type { SyncGroupRequest, SyncGroupResponse } from './messages/14-sync-group'
export type { DescribeGroupsRequest, DescribeGroupsResponse } from './messages/15-describe-groups'
export type { ListGroupsRequest, ListGroupsResponse } from './messages/16-list-groups'
export type { SaslHandshakeRequest, SaslHandshakeResponse } from './messages/17-sasl-handshake'
export type { ApiVersionsRequest, ApiVersionsResponse } from './messages/18-api-versions'
export type { CreateTopicsRequest, CreateTopicsResponse } from './messages/19-create-topics'
export type { DeleteTopicsRequest, DeleteTopicsResponse } from './messages/20-delete-topics'
export type { DeleteRecordsRequest, DeleteRecordsResponse } from './messages/21-delete-records'
export type { InitProducerIdRequest, InitProducerIdResponse } from './messages/22-init-producer-id'
export type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from './messages/23-offset-for-leader-epoch'
export type { DescribeConfigsRequest, DescribeConfigsResponse } from './messages/32-describe-configs'
export type { AlterConfigsRequest, AlterConfigsResponse } from './messages/33-alter-configs'
export type { SaslAuthenticateRequest, SaslAuthenticateResponse } from './messages/36-sasl-authenticate'
export type { CreatePartitionsRequest, CreatePartitionsResponse } from './messages/37-create-partitions'
export type { DeleteGroupsRequest, DeleteGroupsResponse } from './messages/42-delete-groups'
export type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from './messages/44-incremental-alter-configs'
export type { DescribeClusterRequest, DescribeClusterResponse } from './messages/60-describe-cluster'

// ---- Client (src/client/): KafkaBroker, the Broker contract over any Kafka cluster -----------------
export { KafkaBroker } from './client/kafka-broker'
export { KAFKA_CLIENT_DEFAULTS, KAFKA_RETRY_DEFAULTS, resolveKafkaClientOptions } from './client/options'
export {
  encodeSubscription,
  decodeSubscription,
  encodeAssignment,
  decodeAssignment,
  CONSUMER_PROTOCOL_TYPE,
  SUBSCRIPTION_VERSION,
  ASSIGNMENT_VERSION,
} from './client/consumer-protocol'
export { ScramClient } from './client/sasl/scram'
export type {
  KafkaClientOptions,
  ResolvedKafkaClientOptions,
  KafkaTlsOptions,
  KafkaSaslOptions,
  KafkaSaslMechanism,
  KafkaRetryOptions,
} from './client/options'
export type { DecodedSubscription } from './client/consumer-protocol'
export type { ScramMechanism } from './client/sasl/scram'
// ---- end of client ----------------------------------------------------------------------------------

import type { ApiDefinition } from '../codec/api'
import type { BodyOf, InputOf } from '../codec/schema'
import { Produce } from './00-produce'
import { Fetch } from './01-fetch'
import { ListOffsets } from './02-list-offsets'
import { Metadata } from './03-metadata'
import { OffsetCommit } from './08-offset-commit'
import { OffsetFetch } from './09-offset-fetch'
import { FindCoordinator } from './10-find-coordinator'
import { JoinGroup } from './11-join-group'
import { Heartbeat } from './12-heartbeat'
import { LeaveGroup } from './13-leave-group'
import { SyncGroup } from './14-sync-group'
import { DescribeGroups } from './15-describe-groups'
import { ListGroups } from './16-list-groups'
import { SaslHandshake } from './17-sasl-handshake'
import { ApiVersions } from './18-api-versions'
import { CreateTopics } from './19-create-topics'
import { DeleteTopics } from './20-delete-topics'
import { DeleteRecords } from './21-delete-records'
import { InitProducerId } from './22-init-producer-id'
import { OffsetForLeaderEpoch } from './23-offset-for-leader-epoch'
import { DescribeConfigs } from './32-describe-configs'
import { AlterConfigs } from './33-alter-configs'
import { SaslAuthenticate } from './36-sasl-authenticate'
import { CreatePartitions } from './37-create-partitions'
import { DeleteGroups } from './42-delete-groups'
import { IncrementalAlterConfigs } from './44-incremental-alter-configs'
import { DescribeCluster } from './60-describe-cluster'

/*
 * The registry of every API the codec describes, by key. Adding an API: write its message file
 * (`NN-name.ts`, NN its key), then add it to ALL_APIS below; the key map and the body types follow.
 */

/** ALL_APIS lists every API the codec can read and write, in key order. */
export const ALL_APIS = [
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
] as const

type AnyApi = (typeof ALL_APIS)[number]

/** ApiName is the name of an API the codec knows (`'Produce'`, `'Fetch'`, …). */
export type ApiName = AnyApi['name']
/** ApiKey is the key of an API the codec knows (0 for Produce, 1 for Fetch, …). */
export type ApiKey = AnyApi['key']

/** API_KEYS maps each API name to its key: `API_KEYS.Fetch === 1`. */
export const API_KEYS = Object.freeze(Object.fromEntries(ALL_APIS.map((a) => [a.name, a.key]))) as {
  readonly [A in AnyApi as A['name']]: A['key']
}

const byKey: (ApiDefinition | undefined)[] = []
for (const api of ALL_APIS) byKey[api.key] = api

/** getApi returns the definition of API `key`, or undefined for a key the codec does not know. */
export function getApi(key: number): ApiDefinition | undefined {
  return byKey[key]
}

/** RequestBodies maps each API key to its decoded request body type. */
export type RequestBodies = { [A in AnyApi as A['key']]: BodyOf<A['request']> }
/** ResponseBodies maps each API key to its decoded response body type. */
export type ResponseBodies = { [A in AnyApi as A['key']]: BodyOf<A['response']> }
/** RequestInput is what encodeRequest accepts for API `K` (any field may be left to its default). */
export type RequestInput<K extends ApiKey> = InputOf<RequestBodies[K]>
/** ResponseInput is what encodeResponse accepts for API `K` (any field may be left to its default). */
export type ResponseInput<K extends ApiKey> = InputOf<ResponseBodies[K]>

export {
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
}

import type { ServedApi } from '../served-api'
import { produceApi } from './00-produce'
import { fetchApi } from './01-fetch'
import { listOffsetsApi } from './02-list-offsets'
import { metadataApi } from './03-metadata'
import { offsetCommitApi } from './08-offset-commit'
import { offsetFetchApi } from './09-offset-fetch'
import { findCoordinatorApi } from './10-find-coordinator'
import { joinGroupApi } from './11-join-group'
import { heartbeatApi } from './12-heartbeat'
import { leaveGroupApi } from './13-leave-group'
import { syncGroupApi } from './14-sync-group'
import { describeGroupsApi } from './15-describe-groups'
import { listGroupsApi } from './16-list-groups'
import { saslHandshakeApi } from './17-sasl-handshake'
import { apiVersionsApi } from './18-api-versions'
import { createTopicsApi } from './19-create-topics'
import { deleteTopicsApi } from './20-delete-topics'
import { deleteRecordsApi } from './21-delete-records'
import { initProducerIdApi } from './22-init-producer-id'
import { offsetForLeaderEpochApi } from './23-offset-for-leader-epoch'
import { describeConfigsApi } from './32-describe-configs'
import { alterConfigsApi } from './33-alter-configs'
import { saslAuthenticateApi } from './36-sasl-authenticate'
import { createPartitionsApi } from './37-create-partitions'
import { deleteGroupsApi } from './42-delete-groups'
import { incrementalAlterConfigsApi } from './44-incremental-alter-configs'
import { describeClusterApi } from './60-describe-cluster'

/**
 * SERVED_APIS is every API the server answers, one file per key (as franz-go's kfake). ApiVersions
 * is built from this list: adding a file here is what makes an API advertised.
 */
export const SERVED_APIS: readonly ServedApi[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  apiVersionsApi,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetForLeaderEpochApi,
  describeConfigsApi,
  alterConfigsApi,
  saslAuthenticateApi,
  createPartitionsApi,
  deleteGroupsApi,
  incrementalAlterConfigsApi,
  describeClusterApi,
] as unknown as readonly ServedApi[]

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
import { initProducerIdApi } from './22-init-producer-id'
import { saslAuthenticateApi } from './36-sasl-authenticate'
import { deleteGroupsApi } from './42-delete-groups'

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
  initProducerIdApi,
  saslAuthenticateApi,
  deleteGroupsApi,
] as unknown as readonly ServedApi[]

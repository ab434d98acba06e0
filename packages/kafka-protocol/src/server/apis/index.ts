import type { ServedApi } from '../served-api'
import { produceApi } from './00-produce'
import { fetchApi } from './01-fetch'
import { listOffsetsApi } from './02-list-offsets'
import { metadataApi } from './03-metadata'
import { findCoordinatorApi } from './10-find-coordinator'
import { saslHandshakeApi } from './17-sasl-handshake'
import { apiVersionsApi } from './18-api-versions'
import { initProducerIdApi } from './22-init-producer-id'
import { saslAuthenticateApi } from './36-sasl-authenticate'

/**
 * SERVED_APIS is every API the server answers, one file per key (as franz-go's kfake). ApiVersions
 * is built from this list: adding a file here is what makes an API advertised.
 */
export const SERVED_APIS: readonly ServedApi[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  findCoordinatorApi,
  saslHandshakeApi,
  apiVersionsApi,
  initProducerIdApi,
  saslAuthenticateApi,
] as unknown as readonly ServedApi[]

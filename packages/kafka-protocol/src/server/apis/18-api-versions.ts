/*
 * ApiVersions (key 18), served v0-4, before authentication too.
 *
 * Lists every API this server registers with the versions it serves, nothing more (built from the
 * registrations in apis/index.ts, so it cannot claim an API that is not implemented). A version
 * above 4 never reaches this handler: the connection answers it UNSUPPORTED_VERSION (35) with the
 * v0 body listing only ApiVersions, as Kafka does, and clients retry lower. v3+ carry the client's
 * software name and version, which Kafka checks against a pattern (INVALID_REQUEST, 42, otherwise;
 * librdkafka then retries v0). The response header is v0 at every version (KIP-511).
 */
import { ApiVersions } from '../../messages'
import { serveApi } from '../served-api'

const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

/** apiVersionsApi answers ApiVersions. */
export const apiVersionsApi = serveApi({
  api: ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  beforeAuthentication: true,
  async handle(req, ctx) {
    if (req.apiVersion >= 3 && !(SOFTWARE.test(req.body.clientSoftwareName) && SOFTWARE.test(req.body.clientSoftwareVersion)))
      return { errorCode: 42, apiKeys: [] }
    return { errorCode: 0, apiKeys: [...ctx.server.apiVersions], throttleTimeMs: 0 }
  },
})

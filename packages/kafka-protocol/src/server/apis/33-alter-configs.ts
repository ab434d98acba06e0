/*
 * AlterConfigs (key 33), served v0-2.
 *
 * Replaces a topic's whole set of config overrides, as Kafka's (non-incremental) AlterConfigs does:
 * every config not named goes back to its default. Each resource is answered on its own:
 * INVALID_CONFIG (40) for an unknown config or bad value (nothing changes), UNKNOWN_TOPIC_OR_PARTITION
 * (3); broker configs are read-only here (INVALID_REQUEST, 42). validateOnly checks without
 * changing.
 */
import { TributaryError } from '@tributary/core'
import { AlterConfigs } from '../../messages'
import { errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

/** alterConfigsApi answers AlterConfigs. */
export const alterConfigsApi = serveApi({
  api: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const { broker } = ctx.server
    const responses = []
    for (const r of req.body.resources) {
      try {
        if (r.resourceType !== 2) throw new TributaryError('INVALID_REQUEST', 'only topic configs (resource type 2) can be altered')
        const refused = ctx.refusal('alterConfigs', r.resourceName)
        if (refused !== null) throw refused
        const named = new Map(r.configs.map((c) => [c.name, c.value]))
        const current = await broker.describeConfigs(r.resourceName)
        const resets = current.filter((c) => !c.isDefault && !named.has(c.name)).map((c) => ({ name: c.name, value: null }))
        const sets = [...named].map(([name, value]) => ({ name, value }))
        await ctx.broker.alterConfigs(r.resourceName, [...resets, ...sets], { validateOnly: req.body.validateOnly })
        responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })
      } catch (error) {
        responses.push({
          errorCode: errorCodeFor(ctx, error, 'AlterConfigs'),
          errorMessage: errorMessageOf(error),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        })
      }
    }
    return { throttleTimeMs: 0, responses }
  },
})

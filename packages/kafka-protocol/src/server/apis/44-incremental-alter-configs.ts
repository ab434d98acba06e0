/*
 * IncrementalAlterConfigs (key 44), served v0-1.
 *
 * Changes named topic configs and leaves the others: SET (0), DELETE (1: back to the default),
 * APPEND (2) and SUBTRACT (3) on list configs (cleanup.policy), else INVALID_CONFIG (40). Each
 * resource is answered on its own; broker configs are read-only here (INVALID_REQUEST, 42).
 */
import { TributaryError } from '@tributary/core'
import { IncrementalAlterConfigs } from '../../messages'
import { errorCodeFor, errorMessageOf } from '../context'
import { serveApi } from '../served-api'

const LIST_CONFIGS = new Set(['cleanup.policy'])

/** incrementalAlterConfigsApi answers IncrementalAlterConfigs. */
export const incrementalAlterConfigsApi = serveApi({
  api: IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const { broker } = ctx.server
    const responses = []
    for (const r of req.body.resources) {
      try {
        if (r.resourceType !== 2) throw new TributaryError('INVALID_REQUEST', 'only topic configs (resource type 2) can be altered')
        const refused = ctx.refusal('alterConfigs', r.resourceName)
        if (refused !== null) throw refused
        const current = new Map((await broker.describeConfigs(r.resourceName)).map((c) => [c.name, c.value]))
        const changes: Array<{ name: string; value: string | null }> = []
        for (const c of r.configs) {
          if (c.configOperation === 0) changes.push({ name: c.name, value: c.value ?? '' })
          else if (c.configOperation === 1) changes.push({ name: c.name, value: null })
          else if (c.configOperation === 2 || c.configOperation === 3) {
            if (!LIST_CONFIGS.has(c.name))
              throw new TributaryError('INVALID_CONFIG', `${c.name} is not a list: APPEND and SUBTRACT do not apply`)
            const items = new Set((current.get(c.name) ?? '').split(',').filter(Boolean))
            for (const item of (c.value ?? '').split(',').filter(Boolean)) {
              if (c.configOperation === 2) items.add(item)
              else items.delete(item)
            }
            changes.push({ name: c.name, value: [...items].join(',') })
          } else throw new TributaryError('INVALID_REQUEST', `unknown config operation ${c.configOperation}`)
        }
        await ctx.broker.alterConfigs(r.resourceName, changes, { validateOnly: req.body.validateOnly })
        responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })
      } catch (error) {
        responses.push({
          errorCode: errorCodeFor(ctx, error, 'IncrementalAlterConfigs'),
          errorMessage: errorMessageOf(error),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        })
      }
    }
    return { throttleTimeMs: 0, responses }
  },
})

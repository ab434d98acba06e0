import fc from 'fast-check'
import { applyConfChange, type Membership } from '@tributary/raft'
import { nextReassignmentStep } from './reassignment-plan'

const all = () => true

describe('nextReassignmentStep', () => {
  it('adds a learner, promotes it once in sync, then removes the old replica', () => {
    const m: Membership = { voters: [1, 2, 3], learners: [] }
    expect(nextReassignmentStep(m, [2, 3, 4], 1, all)).toEqual({ kind: 'add-learner', nodeId: 4 })
    const withLearner: Membership = { voters: [1, 2, 3], learners: [4] }
    expect(nextReassignmentStep(withLearner, [2, 3, 4], 1, () => false)).toEqual({ kind: 'wait' })
    expect(nextReassignmentStep(withLearner, [2, 3, 4], 1, all)).toEqual({ kind: 'promote', nodeId: 4 })
    // The leader (1) leaves: it hands leadership to an in-sync target first.
    expect(nextReassignmentStep({ voters: [1, 2, 3, 4], learners: [] }, [2, 3, 4], 1, all)).toEqual({ kind: 'transfer-leadership', to: 2 })
    expect(nextReassignmentStep({ voters: [1, 2, 3, 4], learners: [] }, [2, 3, 4], 2, all)).toEqual({ kind: 'remove', nodeId: 1 })
    expect(nextReassignmentStep({ voters: [2, 3, 4], learners: [] }, [2, 3, 4], 2, all)).toEqual({ kind: 'complete' })
  })

  it('removes a learner left over from a cancelled move before anything else', () => {
    expect(nextReassignmentStep({ voters: [1, 2, 3], learners: [5] }, [1, 2, 3], 1, all)).toEqual({ kind: 'remove', nodeId: 5 })
  })

  it('waits rather than leave without an in-sync successor', () => {
    expect(nextReassignmentStep({ voters: [1, 4], learners: [] }, [4], 1, () => false)).toEqual({ kind: 'wait' })
  })

  it('from any membership to any target: converges in single-server steps, never below one voter, the leader leaving last', () => {
    const ids = fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 })
    fc.assert(
      fc.property(ids, ids, fc.integer({ min: 0, max: 4 }), (voters, target, leaderPick) => {
        let m: Membership = { voters: [...voters].sort((a, b) => a - b), learners: [] }
        let leader = m.voters[leaderPick % m.voters.length] as number
        for (let steps = 0; steps < 30; steps++) {
          const step = nextReassignmentStep(m, target, leader, all)
          if (step.kind === 'complete') {
            expect([...m.voters].sort()).toEqual([...target].sort())
            expect(m.learners).toEqual([])
            return
          }
          if (step.kind === 'wait') throw new Error(`waits with every replica in sync: ${JSON.stringify(m)}`)
          if (step.kind === 'transfer-leadership') {
            expect(m.voters).toContain(step.to)
            leader = step.to
            continue
          }
          // The leader never removes itself: it transfers first.
          if (step.kind === 'remove') expect(step.nodeId).not.toBe(leader)
          const next = applyConfChange(m, { type: step.kind, nodeId: step.nodeId })
          if (typeof next === 'string') throw new Error(`illegal step ${JSON.stringify(step)} on ${JSON.stringify(m)}: ${next}`)
          expect(next.voters.length).toBeGreaterThan(0)
          m = next
        }
        throw new Error(`no convergence from ${JSON.stringify(voters)} to ${JSON.stringify(target)}`)
      }),
      { numRuns: 500 },
    )
  })
})

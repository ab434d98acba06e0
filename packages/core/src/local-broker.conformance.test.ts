import { LocalBroker } from './local-broker'
import { MemoryStorage } from './memory-storage'
import { runBrokerConformance } from './testing/broker-conformance'

// The Broker contract on one node: LocalBroker over memory storage (core's reference broker).
runBrokerConformance('LocalBroker', {
  async create() {
    const broker = await LocalBroker.open({ storage: new MemoryStorage() })
    return { broker, cleanup: () => broker.close() }
  },
})

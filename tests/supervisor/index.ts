/** The process supervisor shared by tests, examples and the bench (see its files). */
export { ProcessCluster } from './raft-processes'

/**
 * KafkaJS's enumerations of config and ACL resources, with KafkaJS's numbers. Tributary has TOPIC
 * configs only and no ACLs; the ACL enumerations are exported so that programs naming them load.
 */

/** ConfigResourceTypes are the config resource numbers (describeConfigs, alterConfigs). */
export const ConfigResourceTypes = Object.freeze({ UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const)

/** ConfigSource are the numbers of where a config value comes from. */
export const ConfigSource = Object.freeze({
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const)

/** AclResourceTypes are the ACL resource numbers. */
export const AclResourceTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
} as const)

/** AclOperationTypes are the ACL operation numbers. */
export const AclOperationTypes = Object.freeze({
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const)

/** AclPermissionTypes are the ACL permission numbers. */
export const AclPermissionTypes = Object.freeze({ UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const)

/** ResourcePatternTypes are the ACL resource pattern numbers. */
export const ResourcePatternTypes = Object.freeze({ UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const)

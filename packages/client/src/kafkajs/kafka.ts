import { KafkaAdmin } from './admin'
import { backendFor } from './backend'
import { warnIgnored, type FacadeContext } from './config'
import { KafkaConsumer, type ConsumerConfig } from './consumer'
import { createLogger, consoleLogCreator, logLevel, type Logger } from './logger'
import { KafkaProducer } from './producer'
import type { KafkaConfig, ProducerConfig, RetryOptions } from './types'

/**
 * Kafka is the KafkaJS entry point, running on Tributary:
 *
 * ```ts
 * import { Kafka } from '@tributary/client/kafkajs'
 * const kafka = new Kafka({ clientId: 'my-app', tributary: await Tributary.open({ dir: './data' }) })
 * // or: new Kafka({ clientId: 'my-app', brokers: ['10.0.0.1:7001'] })   (a Tributary cluster)
 * const producer = kafka.producer()
 * ```
 *
 * Throws KafkaJSNonRetriableError unless exactly one of `tributary` and `brokers` is given.
 */
export class Kafka {
  private readonly ctx: FacadeContext

  constructor(config: KafkaConfig) {
    const c = config ?? ({} as KafkaConfig)
    const logger = createLogger(c.logLevel ?? logLevel.INFO, c.logCreator ?? consoleLogCreator)
    const clientId = c.clientId ?? 'kafkajs'
    this.ctx = { backend: backendFor(c, clientId), logger, clientId, retry: c.retry }
    warnIgnored(
      logger.namespace('Kafka'),
      'Kafka',
      c as Record<string, unknown>,
      ['authenticationTimeout', 'reauthenticationThreshold', 'enforceRequestTimeout', 'socketFactory'],
      'Tributary opens its connections itself',
    )
  }

  /** producer makes a producer (connect() before sending). */
  producer(config?: ProducerConfig): KafkaProducer {
    return new KafkaProducer(this.ctx, config)
  }

  /** consumer makes a consumer in `config.groupId`. */
  consumer(config: ConsumerConfig): KafkaConsumer {
    return new KafkaConsumer(this.ctx, config)
  }

  /** admin makes an admin client. */
  admin(config?: { retry?: RetryOptions }): KafkaAdmin {
    return new KafkaAdmin(this.ctx, config)
  }

  /** logger is the root logger, the one built from `logLevel` and `logCreator`. */
  logger(): Logger {
    return this.ctx.logger
  }
}

import { ErrorCodes, TributaryError } from '@tributary/core'
import { errorCodeOf, errorFromKafkaCode, kafkaErrorName } from './error-codes'

describe('Kafka error codes', () => {
  test('every code Kafka defines up to 128 has exactly one name', () => {
    const numbers = Object.values(ErrorCodes)
      .map((e) => e.code)
      .filter((c) => c >= -1)
    expect(new Set(numbers).size).toBe(numbers.length)
    // Kafka leaves 99 unused; -1 and 1..128 otherwise.
    expect(numbers.sort((a, b) => a - b)).toEqual([-1, ...Array.from({ length: 128 }, (_, i) => i + 1).filter((c) => c !== 99)])
  })

  test('names and retriability follow Errors.java', () => {
    expect(kafkaErrorName(0)).toBe('NONE')
    expect(kafkaErrorName(6)).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(kafkaErrorName(79)).toBe('MEMBER_ID_REQUIRED')
    expect(kafkaErrorName(89)).toBe('THROTTLING_QUOTA_EXCEEDED')
    expect(kafkaErrorName(4242)).toBe('UNKNOWN_SERVER_ERROR')
    expect(ErrorCodes.NOT_CONTROLLER).toEqual({ code: 41, retriable: true })
    expect(ErrorCodes.SASL_AUTHENTICATION_FAILED).toEqual({ code: 58, retriable: false })
    expect(ErrorCodes.OFFSET_NOT_AVAILABLE).toEqual({ code: 78, retriable: true })
  })

  test('a response code becomes a TributaryError, and back', () => {
    expect(errorFromKafkaCode(0)).toBeNull()
    const err = errorFromKafkaCode(3, 'This server does not host this topic-partition.')!
    expect(err).toBeInstanceOf(TributaryError)
    expect(err).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', errorCode: 3, retriable: true })
    expect(errorCodeOf(err)).toBe(3)
    expect(errorCodeOf(new TributaryError('INVALID_ARGUMENT', 'bad'))).toBe(42)
    expect(errorCodeOf(new TributaryError('CLIENT_CLOSED', 'closed'))).toBe(-1)
    expect(errorCodeOf(new RangeError('boom'))).toBe(-1)
  })
})

/**
 * @tributary/cli — the `tributary` command (serve, topics, groups, produce, consume, inspect,
 * verify, completion), the web console and the Prometheus endpoint, and their parts for programs
 * and tests that run them in process (`ConsoleServer`, `MetricsServer`, `metricsHandler`, `mountMetrics`).
 */
export { createProgram } from './program'
export { serveCommand, startServe } from './commands/serve'
export { ConsoleServer } from './console/console-server'
export { MetricsServer, metricsHandler, mountMetrics } from './metrics/metrics-server'
export { prometheusRegistry, METRIC_NAMES } from './metrics/prometheus'
export { EXIT_CODES } from './cli/exit-codes'
export type { ServeOptions, Serving } from './commands/serve'
export type { ConsoleServerOptions } from './console/console-server'
export type { MetricsInput, MetricsServerOptions } from './metrics/metrics-server'
export type { PrometheusOptions } from './metrics/prometheus'
export type { HttpListenOptions } from './http/listen'

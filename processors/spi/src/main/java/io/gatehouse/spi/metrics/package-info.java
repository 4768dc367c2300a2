/**
 * Metrics a processor exports at the gateway's {@code /metrics} (Prometheus): {@link
 * io.gatehouse.spi.metrics.Metrics}, found in the gateway's services.
 */
package io.gatehouse.spi.metrics;

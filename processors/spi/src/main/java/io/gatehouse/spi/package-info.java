/**
 * The Gatehouse processor SPI: everything a plugin author sees, and nothing else.
 *
 * <p>A plugin ships a {@link io.gatehouse.spi.ProcessorFactory} listed in
 * {@code META-INF/services/io.gatehouse.spi.ProcessorFactory}. At config load the gateway binds each
 * pipeline step ({@code - my-step: {...}}) strictly to the factory's config record and calls
 * {@link io.gatehouse.spi.ProcessorFactory#create} once per endpoint. At run time the
 * {@link io.gatehouse.spi.GatewayProcessor} sees each exchange twice: request phase in pipeline
 * order, response phase in reverse order (an onion), then once more on completion.
 *
 * <p>This module depends on the JDK only, so a plugin inherits none of the gateway's libraries.
 */
package io.gatehouse.spi;

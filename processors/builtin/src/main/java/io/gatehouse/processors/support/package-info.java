/** Small helpers shared by the built-in processors; not part of the SPI. */
package io.gatehouse.processors.support;

/**
 * The audit log for plugins: a step appends {@link io.gatehouse.spi.audit.AuditEntry} events about its
 * exchanges to the {@link io.gatehouse.spi.audit.AuditLog} it finds in the gateway's services; the
 * gateway chains, signs and stores them. JDK only.
 */
package io.gatehouse.spi.audit;

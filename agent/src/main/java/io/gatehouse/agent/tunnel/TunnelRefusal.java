package io.gatehouse.agent.tunnel;

import java.time.Instant;

/**
 * An agent the tunnel listener turned away: for the gateway's log, metrics and audit chain.
 *
 * @param at       when
 * @param remote   the peer's address
 * @param identity the certificate's common name, or "" when no certificate was presented
 * @param issuer   the certificate's issuer, or ""
 * @param agent    the agent name it asked to serve, or "" when refused before it could ask (TLS)
 * @param reason   {@code untrusted-certificate}, {@code unknown-identity} or {@code agent-mismatch}
 * @param detail   for humans; names what to change
 */
public record TunnelRefusal(Instant at, String remote, String identity, String issuer, String agent, String reason,
                            String detail) {
}

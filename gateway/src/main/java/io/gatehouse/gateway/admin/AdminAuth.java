package io.gatehouse.gateway.admin;

import io.gatehouse.config.AdminConfig;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ProcessorFactory;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who may use the admin API: callers whose token the {@code auth} step accepts (created from
 * {@code admin.auth} by the registry's {@code auth} factory, exactly as for an endpoint) and who
 * belong to one of {@code admin.auditors}. Without {@code admin.auth} the admin API is closed.
 */
public final class AdminAuth implements AutoCloseable {

    /** Accepted (the caller) or refused (the answer). */
    public record Decision(Identity identity, Outcome.Deny denial) {
    }

    private final GatewayProcessor auth;
    private final List<String> auditors;
    private final List<String> replayers;

    private AdminAuth(GatewayProcessor auth, List<String> auditors, List<String> replayers) {
        this.auth = auth;
        this.auditors = auditors;
        this.replayers = replayers;
    }

    /**
     * Creates the admin API's {@code auth} step; call after the factories received their
     * gateway.yaml sections.
     *
     * @throws ConfigException when the auth factory refuses {@code admin.auth}
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static AdminAuth create(AdminConfig admin, ProcessorRegistry registry, GatewayServices services,
                                   Clock clock) {
        if (admin.auth().isEmpty()) {
            return new AdminAuth(null, admin.auditors(), admin.replayers());
        }
        ProcessorFactory factory = registry.find("auth").orElseThrow(() -> new ConfigException(null,
                "admin.auth needs the 'auth' step, which no processor factory provides"));
        GatewayProcessor processor = factory.create(admin.auth().get(),
                new EndpointContext(AdminExchange.ENDPOINT, "raw", "admin.auth", "/admin", clock, services));
        return new AdminAuth(processor, admin.auditors(), admin.replayers());
    }

    public boolean enabled() {
        return auth != null;
    }

    /** The admin API's {@code auth} step itself, or null when {@code admin.auth} is not configured. */
    GatewayProcessor step() {
        return auth;
    }

    /** The groups whose members may read recordings ({@code admin.auditors}). */
    public List<String> auditors() {
        return auditors;
    }

    /**
     * The {@code replay} right ({@code admin.replayers}): null when the caller (already an auditor) is in one of
     * its groups, else the 403 that says so.
     */
    public Outcome.Deny replayRight(Identity caller) {
        if (caller.groups().stream().anyMatch(replayers::contains)) {
            return null;
        }
        return Outcome.deny(403, "Forbidden", "replay-and-diff needs the replay right: members of "
                + (replayers.isEmpty() ? "no group (admin.replayers is empty)" : String.join(", ", replayers))
                + "; " + caller.username() + " is in " + (caller.groups().isEmpty() ? "no group"
                : String.join(", ", new TreeSet<>(caller.groups()))), new DecidingRule("admin", "replay-right",
                caller.username() + " does not hold the replay right"));
    }

    /**
     * Who an access token belongs to, verified by the admin API's {@code auth} step exactly as an admin
     * call's bearer token is (the console uses it for the token it keeps on the server); empty when the
     * step refuses the token or the admin API is closed. The group check is left to the caller.
     */
    public CompletionStage<Optional<Identity>> verify(String accessToken, java.net.InetSocketAddress client) {
        if (auth == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        io.gatehouse.spi.Headers headers = new io.gatehouse.spi.Headers();
        headers.set("Authorization", "Bearer " + accessToken);
        AdminExchange exchange = new AdminExchange(RequestIds.next(),
                new AdminExchange.Request("GET", "/console", null, headers, client));
        try {
            return auth.onRequestAsync(exchange).thenApply(o -> o instanceof Outcome.Deny ? Optional.<Identity>empty()
                    : exchange.identity());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    CompletionStage<Decision> check(AdminExchange exchange) {
        if (auth == null) {
            return CompletableFuture.completedFuture(new Decision(null, Outcome.deny(403, "Admin API closed",
                    "the admin API is closed: give gateway.yaml an admin.auth section (the auth step's config) and"
                            + " admin.auditors",
                    new DecidingRule("admin", "no-admin-auth", "admin.auth is not configured"))));
        }
        CompletionStage<Outcome> outcome;
        try {
            outcome = auth.onRequestAsync(exchange);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return outcome.thenApply(o -> {
            if (o instanceof Outcome.Deny deny) {
                return new Decision(null, deny);
            }
            Optional<Identity> identity = exchange.identity();
            if (identity.isEmpty()) {
                return new Decision(null, Outcome.deny(401, "Authentication required", "send Authorization: Bearer"
                        + " <access token>", new DecidingRule("admin", "no-identity", "no caller was identified")));
            }
            if (identity.get().groups().stream().noneMatch(auditors::contains)) {
                return new Decision(identity.get(), Outcome.deny(403, "Forbidden", "the admin API is for members of "
                        + String.join(", ", auditors) + "; " + identity.get().username() + " is in "
                        + (identity.get().groups().isEmpty() ? "no group" : String.join(", ",
                        new TreeSet<>(identity.get().groups()))), new DecidingRule("admin", "auditor-group",
                        identity.get().username() + " is not an auditor")));
            }
            return new Decision(identity.get(), null);
        });
    }

    @Override
    public void close() {
        if (auth != null) {
            auth.close();
        }
    }
}

package io.gatehouse.gateway.identity;

import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.Headers;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.camel.builder.RouteBuilder;

/**
 * Serves the public keys of the gateway's signing key on the admin port, at
 * {@value GatewaySigner#JWKS_PATH}, so a model server can verify the {@code Gatehouse-Identity}
 * tokens the gateway signs.
 */
public final class GatewayJwksRoute extends RouteBuilder {

    private final String host;
    private final int port;
    private final GatewaySigner signer;

    public GatewayJwksRoute(String host, int port, GatewaySigner signer) {
        this.host = host;
        this.port = port;
        this.signer = signer;
    }

    @Override
    public void configure() {
        from("netty-http:http://" + host + ":" + port + GatewaySigner.JWKS_PATH + "?mapHeaders=false").routeId("gatehouse-admin-jwks")
                .process(exchange -> {
                    Headers headers = new Headers().set("Cache-Control", "max-age=300");
                    HttpAnswers.whole(exchange, 200, headers, "application/jwk-set+json",
                            signer.jwks().getBytes(StandardCharsets.UTF_8), UUID.randomUUID().toString());
                });
    }
}

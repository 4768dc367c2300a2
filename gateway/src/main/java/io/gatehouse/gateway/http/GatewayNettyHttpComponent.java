package io.gatehouse.gateway.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.component.netty.http.HttpServerBootstrapFactory;
import org.apache.camel.component.netty.http.NettyHttpComponent;
import org.apache.camel.component.netty.http.NettyHttpConsumer;

/**
 * camel-netty-http as the gateway registers it: the same component, whose servers set up their channels
 * with {@link ListenerCapInitializer} so that a body over a listener's cap gets a problem answer. One
 * server per address, shared by every route on it, as in camel-netty-http.
 */
public final class GatewayNettyHttpComponent extends NettyHttpComponent {

    private final Map<String, HttpServerBootstrapFactory> servers = new ConcurrentHashMap<>();

    @Override
    protected HttpServerBootstrapFactory getOrCreateHttpNettyServerBootstrapFactory(NettyHttpConsumer consumer) {
        return servers.computeIfAbsent(consumer.getConfiguration().getAddress(), address -> {
            HttpServerBootstrapFactory server = new HttpServerBootstrapFactory(
                    getMultiplexChannelHandler(consumer.getConfiguration().getPort()));
            server.init(getCamelContext(), consumer.getConfiguration(), new ListenerCapInitializer(consumer));
            return server;
        });
    }
}

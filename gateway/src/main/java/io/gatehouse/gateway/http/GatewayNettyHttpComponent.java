package io.gatehouse.gateway.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.component.netty.http.HttpServerBootstrapFactory;
import org.apache.camel.component.netty.http.NettyHttpComponent;
import org.apache.camel.component.netty.http.NettyHttpConsumer;

/**
 * camel-netty-http as the gateway registers it: the same component, whose servers set up their channels
 * with {@link ListenerCapInitializer} (strict framing, one request at a time, timeouts, a connection
 * limit, and problem answers where Netty and Camel would answer emptily). One
 * server per address, shared by every route on it, as in camel-netty-http.
 */
public final class GatewayNettyHttpComponent extends NettyHttpComponent {

    private final Map<String, HttpServerBootstrapFactory> servers = new ConcurrentHashMap<>();
    private final Map<Integer, ListenerSettings> listeners = new ConcurrentHashMap<>();
    private final Map<String, ListenerRefusals> refusals = new ConcurrentHashMap<>();
    private volatile io.gatehouse.spi.audit.AuditLog auditLog;
    private volatile java.time.Clock clock = java.time.Clock.systemUTC();

    /**
     * Where the listeners record the requests and connections they refuse themselves
     * ({@link ListenerRefusals}); set before the first route starts. Without it they are only logged.
     */
    public void recordRefusalsTo(io.gatehouse.spi.audit.AuditLog log, java.time.Clock clock) {
        this.auditLog = log;
        this.clock = clock;
    }

    /** The refusals of listener {@code name} (for tests and metrics); null before its server started. */
    public ListenerRefusals refusals(String name) {
        return refusals.get(name);
    }

    /** The settings of the listener on {@code port}; a port without any (the admin port) gets the defaults. */
    public void listener(int port, ListenerSettings settings) {
        listeners.put(port, settings);
    }

    /** As {@link #listener}, unless the port already has settings (a reload adding routes keeps the first). */
    public void listenerIfAbsent(int port, ListenerSettings settings) {
        listeners.putIfAbsent(port, settings);
    }

    @Override
    protected HttpServerBootstrapFactory getOrCreateHttpNettyServerBootstrapFactory(NettyHttpConsumer consumer) {
        return servers.computeIfAbsent(consumer.getConfiguration().getAddress(), address -> {
            HttpServerBootstrapFactory server = new HttpServerBootstrapFactory(
                    getMultiplexChannelHandler(consumer.getConfiguration().getPort()));
            ListenerSettings settings = listeners.computeIfAbsent(consumer.getConfiguration().getPort(),
                    port -> ListenerSettings.admin());
            ListenerRefusals recorder = refusals.computeIfAbsent(settings.name(), name -> new ListenerRefusals(name,
                    settings.refusalRecordsPerSecond(), auditLog, clock));
            server.init(getCamelContext(), consumer.getConfiguration(), new ListenerCapInitializer(consumer, settings,
                    recorder));
            return server;
        });
    }

    /** The summaries of refusals not yet written are written before the listeners go. */
    @Override
    protected void doStop() throws Exception {
        refusals.values().forEach(ListenerRefusals::flush);
        super.doStop();
    }
}

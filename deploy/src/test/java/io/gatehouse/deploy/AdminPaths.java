package io.gatehouse.deploy;

import io.gatehouse.gateway.admin.AdminRoutes;
import java.net.URI;
import java.util.Set;
import java.util.TreeSet;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;

/** The paths the gateway's admin routes listen on, read from the route definitions the gateway builds. */
final class AdminPaths {

    private AdminPaths() {
    }

    static Set<String> served() throws Exception {
        Set<String> paths = new TreeSet<>();
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.addRoutes(new AdminRoutes("127.0.0.1", 8081, null, null));
            for (RouteDefinition route : ((ModelCamelContext) camel).getRouteDefinitions()) {
                String uri = route.getInput().getEndpointUri();   // netty-http:http://host:port/path?options
                paths.add(URI.create(uri.substring(uri.indexOf(':') + 1)).getPath());
            }
        }
        return paths;
    }
}

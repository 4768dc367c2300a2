package io.gatehouse.cli.policy;

import io.gatehouse.spi.ConfigException;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The request of a case: either what the client sends (method, path, headers, body — the endpoint's
 * protocol adapter parses it, as in the gateway), or the operation the adapter would have found (for
 * gRPC endpoints or to state a case briefly).
 *
 * @param endpoint  the endpoint id (default: the file's, else the one whose path serves {@code path})
 * @param method    HTTP method (default POST with a body, GET without)
 * @param path      path and query, e.g. {@code /v1/chat/completions}
 * @param headers   request headers
 * @param body      the body: a map or list is sent as JSON, a string as written
 * @param operation what the request asks for, instead of a body to parse
 */
public record TestRequest(String endpoint, String method, String path, Map<String, String> headers, Node body,
                          TestOperation operation) {

    public TestRequest {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        if (path == null && operation == null) {
            throw new ConfigException("path", "is required (or give an operation), e.g. path: /v1/chat/completions");
        }
        if (path != null && !path.startsWith("/")) {
            throw new ConfigException("path", "'" + path + "' does not start with '/'");
        }
        if (method != null && !method.matches("[A-Za-z]+")) {
            throw new ConfigException("method", "'" + method + "' is not an HTTP method");
        }
    }
}

package io.gatehouse.processors.approval;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The approval step's own CEL condition ({@code when.condition}), e.g. {@code operation.batch > 64}
 * or {@code operation.kind == "fine-tune" && !("ml-leads" in identity.groups)}. Variables:
 * {@code operation} (kind, model, batch, stream, maxTokens, protocol), {@code identity} (subject,
 * username, groups, roles, clientId), {@code request} (method, path, endpoint). Parsed, type-checked
 * and planned once at load; evaluation is thread-safe. An expression that fails on a request (a
 * missing key) holds the request: an unclear case goes to a human.
 */
final class ApprovalCondition {

    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current().build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("identity", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("operation", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .setResultType(SimpleType.BOOL)
            .build();

    private final String source;
    private final CelRuntime.Program program;

    private ApprovalCondition(String source, CelRuntime.Program program) {
        this.source = source;
        this.program = program;
    }

    /** @throws IllegalArgumentException with CEL's message */
    static ApprovalCondition compile(String source) {
        CelValidationResult result = CEL.compile(source);
        if (result.hasError()) {
            throw new IllegalArgumentException(oneLine(result.getErrorString()));
        }
        try {
            return new ApprovalCondition(source, CEL.createProgram(result.getAst()));
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(oneLine(e.getMessage()));
        }
    }

    /** Why the request must be approved, or null when the condition is false. */
    String matches(GatewayExchange exchange) {
        Object value;
        try {
            value = program.eval(variables(exchange));
        } catch (CelEvaluationException | RuntimeException e) {
            return "condition '" + source + "' could not be evaluated (" + oneLine(e.getMessage()) + "), so the"
                    + " request is held";
        }
        return Boolean.TRUE.equals(value) ? "condition '" + source + "' holds" : null;
    }

    private static Map<String, Object> variables(GatewayExchange exchange) {
        Operation op = exchange.operation();
        Map<String, Object> operation = new HashMap<>();
        operation.put("kind", op.kind().configName());
        operation.put("protocol", op.protocol());
        operation.put("batch", (long) op.batch());
        operation.put("stream", op.stream());
        if (op.model() != null) {
            operation.put("model", op.model());
        }
        if (op.maxTokens().isPresent()) {
            operation.put("maxTokens", (long) op.maxTokens().getAsInt());
        }
        Map<String, Object> identity = new HashMap<>();
        Identity id = exchange.identity().orElse(null);
        if (id != null) {
            identity.put("subject", id.subject());
            identity.put("username", id.username());
            identity.put("groups", List.copyOf(new TreeSet<>(id.groups())));
            identity.put("roles", List.copyOf(new TreeSet<>(id.roles())));
            if (id.clientId() != null) {
                identity.put("clientId", id.clientId());
            }
        }
        Map<String, Object> request = Map.of("method", exchange.request().method(), "path",
                exchange.request().path(), "endpoint", exchange.endpointId());
        return Map.of("operation", operation, "identity", identity, "request", request);
    }

    String source() {
        return source;
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    @Override
    public String toString() {
        return source;
    }
}

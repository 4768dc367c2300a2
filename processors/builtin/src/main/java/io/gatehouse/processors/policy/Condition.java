package io.gatehouse.processors.policy;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A rule's {@code when}: a CEL expression over {@code identity}, {@code request}, {@code operation} (maps
 * of string to value) and {@code time} (a timestamp), which must be a bool. Parsed, type-checked and
 * planned once, at load; evaluating it is thread-safe. An evaluation error is reported to the caller,
 * which denies (fail closed).
 */
final class Condition {

    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setOptions(CelOptions.current().build())
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("identity", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("operation", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .addVar("time", SimpleType.TIMESTAMP)
            .setResultType(SimpleType.BOOL)
            .build();

    /** Planned programs by source text: a load compiles each distinct expression once. */
    private static final Map<String, Condition> COMPILED = new ConcurrentHashMap<>();
    private static final int MAX_CACHED = 100_000;

    private final String source;
    private final CelRuntime.Program program;

    private Condition(String source, CelRuntime.Program program) {
        this.source = source;
        this.program = program;
    }

    /**
     * Parses, checks and plans an expression.
     *
     * @throws IllegalArgumentException with CEL's message (line and column inside the expression)
     */
    static Condition compile(String source) {
        Condition cached = COMPILED.get(source);
        if (cached != null) {
            return cached;
        }
        CelValidationResult result = CEL.compile(source);
        if (result.hasError()) {
            throw new IllegalArgumentException(oneLine(result.getErrorString()));
        }
        Condition condition;
        try {
            CelAbstractSyntaxTree ast = result.getAst();
            condition = new Condition(source, CEL.createProgram(ast));
        } catch (CelValidationException | CelEvaluationException e) {
            throw new IllegalArgumentException(oneLine(e.getMessage()));
        }
        if (COMPILED.size() < MAX_CACHED) {
            COMPILED.put(source, condition);
        }
        return condition;
    }

    /**
     * Evaluates against the request's variables.
     *
     * @throws EvaluationException when the expression fails (a missing key, a type error); callers deny
     */
    boolean test(dev.cel.runtime.CelVariableResolver variables) {
        Object value;
        try {
            value = program.eval(variables);
        } catch (CelEvaluationException | RuntimeException e) {
            throw new EvaluationException(evaluationMessage(e));
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new EvaluationException("the condition gave " + value + ", not a bool");
    }

    /** CEL's message without its prefix: {@code key 'team' is not present in map}, {@code no such key: x-job}. */
    private static String evaluationMessage(Exception e) {
        String text = oneLine(e.getMessage() == null ? e.toString() : e.getMessage())
                .replaceFirst("^evaluation error( at <input>:\\d+)?: ", "");
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.contains(" ") ? text : "no such key: " + text;
    }

    String source() {
        return source;
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** A condition could not be evaluated. */
    static final class EvaluationException extends RuntimeException {
        EvaluationException(String message) {
            super(message, null, false, false);
        }
    }
}

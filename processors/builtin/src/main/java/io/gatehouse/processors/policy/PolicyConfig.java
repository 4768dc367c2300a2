package io.gatehouse.processors.policy;

/**
 * Config of the {@code policy} step; the policies themselves are the files of {@code policies/}.
 *
 * <pre>{@code
 * - policy: { filterModelLists: true }
 * }</pre>
 *
 * @param filterModelLists model listings ({@code GET /v1/models}, Ollama {@code /api/tags}, KServe
 *                         {@code /v2/repository/index}) show only the models the caller may use; default true
 */
public record PolicyConfig(Boolean filterModelLists) {

    public PolicyConfig {
        filterModelLists = filterModelLists == null || filterModelLists;
    }

    public static PolicyConfig defaults() {
        return new PolicyConfig(null);
    }
}

package io.gatehouse.it.support;

import java.util.ArrayList;
import java.util.List;

/**
 * What a stack has started, closed last first. A failure to close one is ignored, so that the rest
 * still stop. Usable in the catch of a failed start as well as in the stack's own close.
 */
public final class Closer implements AutoCloseable {

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Registers {@code resource}; it is closed before everything registered earlier. */
    public <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // stopping: keep stopping the rest
            }
        }
    }
}

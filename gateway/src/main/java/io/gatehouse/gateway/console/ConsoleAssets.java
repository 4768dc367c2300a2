package io.gatehouse.gateway.console;

import io.gatehouse.spi.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The console's files, read once from the jar ({@code /console/} on the class path): the page, its
 * script, its style sheet. Only these names are served, so no path reaches the class loader.
 */
final class ConsoleAssets {

    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private final Map<String, byte[]> files;

    private ConsoleAssets(Map<String, byte[]> files) {
        this.files = files;
    }

    static ConsoleAssets load() {
        java.util.HashMap<String, byte[]> files = new java.util.HashMap<>();
        for (String name : TYPES.keySet()) {
            try (InputStream in = ConsoleAssets.class.getResourceAsStream("/console/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("the console's " + name + " is missing from the jar");
                }
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ConsoleAssets(Map.copyOf(files));
    }

    ConsoleRoutes.Reply reply(String name) {
        byte[] body = files.get(name);
        if (body == null) {
            return ConsoleRoutes.Reply.problem(404, "Not found", "the console has no file " + name
                    .replaceAll("[^ -~]", "?"));
        }
        Headers headers = new Headers();
        headers.set("Cache-Control", name.equals("index.html") ? "no-store" : "no-cache");
        return new ConsoleRoutes.Reply(200, TYPES.get(name), body, headers);
    }
}

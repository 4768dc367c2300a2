package io.gatehouse.gateway.reload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The version of a config directory: a SHA-256 over its YAML files (relative path and content digest,
 * sorted), so equal content is the same version on every replica and any edit is a new one.
 *
 * @param version {@code sha256:<hex>}
 * @param files   relative path ({@code endpoints/openai.yaml}) to the SHA-256 of its content
 */
public record ConfigVersion(String version, SortedMap<String, String> files) {

    public ConfigVersion {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    /** The files added, removed and changed from {@code before} to this version. */
    public record Diff(List<String> added, List<String> removed, List<String> changed) {
        public boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
        }
    }

    /** The short form shown in logs: {@code sha256:} and the first 12 hex digits. */
    public String shortVersion() {
        return version.substring(0, Math.min(version.length(), 7 + 12));
    }

    public static ConfigVersion of(Path directory) {
        SortedMap<String, String> files = new TreeMap<>();
        Path root = directory.toAbsolutePath().normalize();
        if (Files.isDirectory(root)) {
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    String relative = root.relativize(file).toString().replace('\\', '/');
                    if (isConfigFile(relative)) {
                        files.put(relative, sha256(Files.readAllBytes(file)));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the config directory " + root, e);
            }
        }
        StringBuilder all = new StringBuilder();
        files.forEach((path, digest) -> all.append(path).append('\0').append(digest).append('\n'));
        return new ConfigVersion("sha256:" + sha256(all.toString().getBytes(StandardCharsets.UTF_8)), files);
    }

    /** YAML files, not hidden ones (editors' swap files) and not in hidden folders. */
    static boolean isConfigFile(String relative) {
        for (String part : relative.split("/")) {
            if (part.startsWith(".")) {
                return false;
            }
        }
        return relative.endsWith(".yaml") || relative.endsWith(".yml");
    }

    public Diff diff(ConfigVersion before) {
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, String> f : files.entrySet()) {
            String old = before == null ? null : before.files.get(f.getKey());
            if (old == null) {
                added.add(f.getKey());
            } else if (!old.equals(f.getValue())) {
                changed.add(f.getKey());
            }
        }
        if (before != null) {
            before.files.keySet().stream().filter(k -> !files.containsKey(k)).forEach(removed::add);
        }
        return new Diff(added, removed, changed);
    }

    /** Whether every file under {@code directory/} is the same in both versions. */
    public boolean sameUnder(String directory, ConfigVersion other) {
        String prefix = directory + "/";
        return under(prefix).equals(other.under(prefix));
    }

    private Map<String, String> under(String prefix) {
        Map<String, String> m = new TreeMap<>();
        files.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}

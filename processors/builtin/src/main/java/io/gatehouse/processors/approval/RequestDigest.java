package io.gatehouse.processors.approval;

import io.gatehouse.spi.GatewayRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The SHA-256 that binds an approval to one exact request. Canonical form, UTF-8:
 *
 * <pre>
 * gatehouse-approval/1 LF endpoint LF METHOD LF path LF query LF
 * (header-name ":" values joined by ", " LF) for each bound header present, names lower-cased and sorted
 * LF body bytes
 * </pre>
 *
 * The requester is not in it: the approval stores who asked, and a retry by anyone else is refused
 * as foreign before the digest is compared.
 */
final class RequestDigest {

    private RequestDigest() {
    }

    static String of(String endpointId, GatewayRequest request, List<String> boundHeaders) {
        MessageDigest sha = sha256();
        StringBuilder head = new StringBuilder("gatehouse-approval/1\n").append(endpointId).append('\n')
                .append(request.method()).append('\n').append(request.path()).append('\n')
                .append(request.query() == null ? "" : request.query()).append('\n');
        TreeSet<String> names = new TreeSet<>();
        boundHeaders.forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
        for (String name : names) {
            List<String> values = request.headers().all(name);
            if (!values.isEmpty()) {
                head.append(name).append(':').append(String.join(", ", values)).append('\n');
            }
        }
        head.append('\n');
        sha.update(head.toString().getBytes(StandardCharsets.UTF_8));
        sha.update(request.body());
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The digest of a quota grant: bound to the quota it extends ({@code gatehouse-quota/1 LF endpoint LF
     * scope}), so that every request over that quota can use it, whatever its body.
     */
    static String ofQuota(String endpointId, String scope) {
        return HexFormat.of().formatHex(sha256().digest(("gatehouse-quota/1\n" + endpointId + "\n" + scope)
                .getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}

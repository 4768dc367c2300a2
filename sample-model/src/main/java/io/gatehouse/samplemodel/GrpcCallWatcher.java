package io.gatehouse.samplemodel;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every gRPC call passes here first: it is counted with its metadata ({@link GrpcCounters}), refused
 * with UNAUTHENTICATED unless its {@code authorization} metadata is {@code Bearer <apiKey>} (the
 * scheme in any case, as on the HTTP side), and counted again if the client cancels it.
 */
final class GrpcCallWatcher implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final byte[] apiKey;
    private final GrpcCounters counters;

    GrpcCallWatcher(String apiKey, GrpcCounters counters) {
        this.apiKey = apiKey.getBytes(StandardCharsets.UTF_8);
        this.counters = counters;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        String authorization = headers.get(AUTHORIZATION);
        counters.called(new GrpcCounters.CallMetadata(method, authorization, textEntries(headers)));
        String refusal = refusal(authorization);
        if (refusal != null) {
            counters.unauthenticatedCall();
            call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            @Override
            public void onCancel() {
                counters.cancelledCall(method);
                super.onCancel();
            }
        };
    }

    /** Why the call is refused, or null when its key is right. */
    private String refusal(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return "no API key: send it as 'authorization: Bearer KEY' metadata";
        }
        String[] parts = authorization.strip().split(" +", 2);
        boolean bearer = parts.length == 2 && parts[0].equalsIgnoreCase("Bearer");
        byte[] presented = bearer ? parts[1].getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(presented, apiKey) || !bearer) {
            return "incorrect API key provided";
        }
        return null;
    }

    private static Map<String, List<String>> textEntries(Metadata headers) {
        Map<String, List<String>> entries = new LinkedHashMap<>();
        for (String key : headers.keys()) {
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                continue;
            }
            Iterable<String> values = headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
            List<String> list = new ArrayList<>();
            if (values != null) {
                values.forEach(list::add);
            }
            entries.put(key, list);
        }
        return entries;
    }
}

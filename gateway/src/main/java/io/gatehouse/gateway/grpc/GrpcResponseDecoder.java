package io.gatehouse.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.gatehouse.agent.camel.AgentExchanges;
import io.gatehouse.agent.camel.AgentReply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * After the agent: each message of the model's answer becomes its KServe v2 REST JSON, so the response
 * phase reads it as it reads an HTTP answer — one JSON body for a unary method, one JSON line per
 * message ({@code application/x-ndjson}, streamed) for {@code ModelStreamInfer}. The messages as the
 * model sent them are kept, in order, for the way back.
 */
public final class GrpcResponseDecoder implements Processor {

    @Override
    @SuppressWarnings("unchecked")
    public void process(Exchange exchange) {
        RoutedMessage routed = RoutedMessage.of(exchange);
        AgentReply reply = AgentExchanges.reply(exchange);
        if (reply == null) {
            return;
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Map<String, List<String>> upstream = reply.headers();
        if (upstream != null) {
            upstream.forEach((name, values) -> {
                if (!name.equalsIgnoreCase("content-type") && !name.toLowerCase(java.util.Locale.ROOT).startsWith("grpc-")) {
                    headers.put(name, new ArrayList<>(values));
                }
            });
        }
        boolean streamed = routed.rpc().streaming();
        headers.put("Content-Type", List.of(streamed ? "application/x-ndjson" : "application/json"));
        Flow.Publisher<byte[]> source = reply.body();
        AgentExchanges.setReply(exchange, new AgentReply(reply.status(), headers, streamed,
                source == null ? null : new Decoding(source, routed, streamed)));
    }

    /** The model's messages as JSON, one item per message. */
    private record Decoding(Flow.Publisher<byte[]> source, RoutedMessage routed, boolean lines)
            implements Flow.Publisher<byte[]> {

        @Override
        public void subscribe(Flow.Subscriber<? super byte[]> subscriber) {
            source.subscribe(new Flow.Subscriber<>() {
                private Flow.Subscription subscription;
                private boolean failed;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscription = s;
                    subscriber.onSubscribe(s);
                }

                @Override
                public void onNext(byte[] item) {
                    if (failed) {
                        return;
                    }
                    Message answer;
                    try {
                        answer = ResponseJson.parse(routed.rpc(), item);
                    } catch (InvalidProtocolBufferException e) {
                        failed = true;
                        subscription.cancel();
                        subscriber.onError(new IllegalStateException("the model sent a message that is not a "
                                + routed.rpc().wireName() + " answer: " + e.getMessage()));
                        return;
                    }
                    routed.answers().add(answer);
                    byte[] json = RequestJson.write(ResponseJson.json(routed.rpc(), answer));
                    if (lines) {
                        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
                        line[json.length] = '\n';
                        json = line;
                    }
                    subscriber.onNext(json);
                }

                @Override
                public void onError(Throwable error) {
                    if (!failed) {
                        subscriber.onError(error);
                    }
                }

                @Override
                public void onComplete() {
                    if (!failed) {
                        subscriber.onComplete();
                    }
                }
            });
        }
    }
}

package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.proto.ForwardRequest;
import org.junit.jupiter.api.Test;

class AccessLogTest {

    private static ForwardRequest request(String id) {
        return ForwardRequest.newBuilder().setRequestId(id).setService("echo").setMethod("POST")
                .setPath("/v1/chat/completions?api_key=query-secret").build();
    }

    @Test
    void eachRecordedCallBecomesOneKeyValueLineWithoutTheQuery() {
        try (LogCapture logs = new LogCapture()) {
            AccessLog log = new AccessLog(AccessLogConfig.defaults());
            log.record(request("req-one\nforged"), 200, "completed", System.nanoTime());
            log.record(request("req-two"), -1, "failure UPSTREAM_UNREACHABLE", System.nanoTime());
            log.close(); // writes what is queued

            assertThat(logs.lines().stream().filter(l -> l.contains("forward request_id=")).toList())
                    .satisfiesExactly(
                            l -> assertThat(l).matches("io.gatehouse.agent.AgentServer forward request_id=req-one\\?forged "
                                    + "service=echo method=POST path=/v1/chat/completions status=200 outcome=completed "
                                    + "duration_ms=\\d+"),
                            l -> assertThat(l).matches("io.gatehouse.agent.AgentServer forward request_id=req-two "
                                    + "service=echo method=POST path=/v1/chat/completions status=- "
                                    + "outcome=failure UPSTREAM_UNREACHABLE duration_ms=\\d+"));
            assertThat(logs.lines()).noneMatch(l -> l.contains("query-secret"));
        }
    }

    @Test
    void anAccessLogThatIsTurnedOffWritesNothing() {
        try (LogCapture logs = new LogCapture()) {
            AccessLog log = new AccessLog(new AccessLogConfig(false));
            log.record(request("req-off"), 200, "completed", System.nanoTime());
            log.close();

            assertThat(logs.lines()).noneMatch(l -> l.contains("req-off"));
        }
    }
}

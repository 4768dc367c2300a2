package io.gatehouse.it.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Request smuggling and malformed framing (RFC 9112 and the known catalogues: CL.TE, TE.CL, TE.TE
 * obfuscations, duplicate Content-Length, bare LF, obs-fold, chunk sizes and extensions, limits, NUL and
 * control bytes, target forms, traversal against endpoint prefixes, pipelining after an error), each sent
 * as raw bytes on a socket. Each case pins what the client got — a problem+json with a request id, or the
 * answers of a valid pipeline — whether the connection was closed, that a refusal an endpoint took is in
 * the audit trail, and exactly how many requests reached the model (0 unless the case is a valid control).
 */
class FramingCasesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String SMUGGLED_CHAT = "{\"model\":\"smuggled\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";

    private static HardeningStack stack;
    private static String token;

    /**
     * @param port          "http" or "admin"
     * @param status        the first answer's status
     * @param closes        whether the gateway must close the connection after it (null: either)
     * @param answers       how many answers the client must get
     * @param modelRequests how many requests must reach the model
     * @param recorded      whether the first answer's request id must be in the audit trail
     */
    record Case(String name, String port, String raw, int status, Boolean closes, int answers, int modelRequests,
                boolean recorded) {
    }

    @BeforeAll
    static void start() throws Exception {
        stack = HardeningStack.start();
        token = stack.token();
    }

    @AfterAll
    static void stop() {
        HardeningReport.write();
        if (stack != null) {
            stack.close();
        }
    }

    private static String head(String method, String target, String... headers) {
        StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: gw\r\n")
                .append("Authorization: Bearer ").append(token).append("\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    private static String chat(String... headers) {
        return head("POST", "/v1/chat/completions", headers);
    }

    /** A whole valid request the model would see if the gateway read the bytes as a second request. */
    private static String smuggled() {
        return chat("Content-Type: application/json", "Content-Length: " + SMUGGLED_CHAT.length()) + SMUGGLED_CHAT;
    }

    private static String chunked(String body) {
        return Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    private static Case refused(String name, String raw, int status) {
        return new Case(name, "http", raw, status, true, 1, 0, true);
    }

    /** Refused by the listener itself (no endpoint takes it): answered and logged, not in the audit trail. */
    private static Case refusedByListener(String name, String raw, int status) {
        return new Case(name, "http", raw, status, true, 1, 0, false);
    }

    private static List<Case> cases() {
        String zeroChunk = "0\r\n\r\n";
        String clte = zeroChunk + smuggled();
        List<Case> c = new ArrayList<>();
        // ---- controls: valid requests that must reach the model ----
        c.add(new Case("valid POST with Content-Length reaches the model", "http",
                chat("Content-Type: application/json", "Content-Length: " + CHAT.length()) + CHAT, 200, false, 1, 1, true));
        c.add(new Case("valid chunked POST reaches the model", "http",
                chat("Content-Type: application/json", "Transfer-Encoding: chunked") + chunked(CHAT), 200, false, 1, 1,
                true));
        c.add(new Case("valid chunk extension is ignored", "http", chat("Content-Type: application/json",
                "Transfer-Encoding: chunked") + Integer.toHexString(CHAT.length()) + ";name=value\r\n" + CHAT
                + "\r\n0\r\n\r\n", 200, false, 1, 1, true));
        c.add(new Case("two pipelined valid requests are answered in order", "http",
                chat("Content-Type: application/json", "Content-Length: " + CHAT.length()) + CHAT
                        + chat("Content-Type: application/json", "Content-Length: " + CHAT.length()) + CHAT,
                200, false, 2, 2, true));
        c.add(new Case("query string with escapes and a second '?' is served", "http",
                head("GET", "/v1/models?a=%20b&c=d?e"), 200, false, 1, 1, true));
        c.add(new Case("absolute-form target is served as origin-form", "http",
                head("POST", "http://gw/v1/chat/completions", "Content-Type: application/json",
                        "Content-Length: " + CHAT.length()) + CHAT, 200, false, 1, 1, true));
        // ---- CL.TE / TE.CL / TE.TE ----
        c.add(refused("CL.TE: Content-Length and Transfer-Encoding chunked hide a second request",
                chat("Content-Type: application/json", "Content-Length: " + clte.length(), "Transfer-Encoding: chunked")
                        + clte, 400));
        c.add(refused("TE.CL: Transfer-Encoding before Content-Length",
                chat("Transfer-Encoding: chunked", "Content-Length: 4") + "5c\r\n" + smuggled() + "\r\n0\r\n\r\n", 400));
        c.add(refused("TE.TE: space before the colon", chat("Content-Length: " + clte.length(),
                "Transfer-Encoding : chunked") + clte, 400));
        c.add(refused("TE.TE: tab before the value", chat("Content-Length: " + clte.length(),
                "Transfer-Encoding:\tchunked") + clte, 400));
        c.add(refused("TE.TE: upper-case value", chat("Content-Length: " + clte.length(),
                "Transfer-Encoding: CHUNKED") + clte, 400));
        c.add(refused("TE.TE: value xchunked beside Content-Length", chat("Content-Length: " + clte.length(),
                "Transfer-Encoding: xchunked") + clte, 400));
        c.add(refused("TE.TE: list chunked, identity", chat("Transfer-Encoding: chunked, identity") + clte, 400));
        c.add(refused("TE.TE: list identity, chunked", chat("Transfer-Encoding: identity, chunked") + clte, 400));
        c.add(refused("TE.TE: Transfer-Encoding twice", chat("Transfer-Encoding: chunked", "Transfer-Encoding: x")
                + clte, 400));
        c.add(refused("TE.TE: gzip alone leaves the body unframed", chat("Transfer-Encoding: gzip") + smuggled(), 400));
        c.add(refused("TE.TE: obs-fold continues the Transfer-Encoding value", chat("Content-Length: " + clte.length(),
                "Transfer-Encoding: x", " chunked") + clte, 400));
        c.add(refused("Transfer-Encoding in an HTTP/1.0 request",
                chat("Transfer-Encoding: chunked").replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n") + clte, 400));
        // ---- Content-Length ----
        c.add(refused("Content-Length twice with one value", chat("Content-Length: 5", "Content-Length: 5")
                + "hello", 400));
        c.add(refused("Content-Length twice with two values", chat("Content-Length: 5", "Content-Length: 120")
                + "hello" + smuggled(), 400));
        c.add(refused("Content-Length as a list", chat("Content-Length: 5, 5") + "hello", 400));
        c.add(refused("Content-Length negative", chat("Content-Length: -1") + smuggled(), 400));
        c.add(refused("Content-Length with a plus sign", chat("Content-Length: +5") + "hello", 400));
        c.add(refused("Content-Length in hex", chat("Content-Length: 0x5") + "hello", 400));
        c.add(refused("Content-Length over 2^63", chat("Content-Length: 99999999999999999999") + "hello", 400));
        // ---- chunk sizes and extensions ----
        c.add(refused("chunk size 2^32 that would wrap to 0", chat("Transfer-Encoding: chunked")
                + "100000000\r\n" + smuggled() + "\r\n0\r\n\r\n", 400));
        c.add(refused("chunk size of 17 hex digits", chat("Transfer-Encoding: chunked")
                + "10000000000000005\r\nhello\r\n0\r\n\r\n", 400));
        c.add(refused("negative chunk size", chat("Transfer-Encoding: chunked") + "-5\r\nhello\r\n0\r\n\r\n", 400));
        c.add(refused("chunk size not hex", chat("Transfer-Encoding: chunked") + "zz\r\nhello\r\n0\r\n\r\n", 400));
        c.add(refused("chunk extension ended by a bare LF", chat("Transfer-Encoding: chunked")
                + "5;a=b\nhello\r\n0\r\n\r\n", 400));
        c.add(refused("chunk data longer than its size", chat("Transfer-Encoding: chunked")
                + "2\r\nhello\r\n0\r\n\r\n" + smuggled(), 400));
        c.add(refused("oversized chunk-size line (extension of 20 KiB)", chat("Transfer-Encoding: chunked")
                + "5;" + "a".repeat(20_000) + "\r\nhello\r\n0\r\n\r\n", 400));
        // ---- line endings, control bytes, limits ----
        c.add(refusedByListener("bare LF line endings", "POST /v1/chat/completions HTTP/1.1\nHost: gw\nAuthorization: "
                + "Bearer " + token + "\nContent-Length: " + CHAT.length() + "\n\n" + CHAT, 400));
        c.add(refusedByListener("bare CR inside a header line", chat("X-A: a\rTransfer-Encoding: chunked",
                "Content-Length: 5") + "hello", 400));
        c.add(refusedByListener("NUL byte in a header value", chat("X-A: a\u0000b", "Content-Length: 5") + "hello", 400));
        c.add(refusedByListener("control byte in a header name", chat("X\u0001A: b", "Content-Length: 5") + "hello", 400));
        c.add(refusedByListener("space inside a header name", chat("X A: b", "Content-Length: 5") + "hello", 400));
        c.add(refused("NUL byte in the target", head("GET", "/v1/models\u0000x"), 400));
        c.add(refusedByListener("request line over 8 KiB", head("GET", "/v1/models?" + "a".repeat(9000)), 414));
        c.add(refusedByListener("headers over the listener's 32 KiB cap", chat("X-Big: " + "b".repeat(40_000)), 431));
        c.add(refusedByListener("HTTP/2 connection preface on the HTTP/1.1 listener",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400));
        c.add(refused("HTTP/1.2 request", head("GET", "/v1/models").replace(" HTTP/1.1\r\n", " HTTP/1.2\r\n"), 400));
        c.add(refused("HTTP/1.1 request without Host", "GET /v1/models HTTP/1.1\r\nAuthorization: Bearer " + token
                + "\r\n\r\n", 400));
        c.add(refused("two Host headers", head("GET", "/v1/models", "Host: other"), 400));
        // ---- targets and traversal against endpoint prefixes ----
        c.add(refusedByListener("authority-form CONNECT", "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n",
                405));
        c.add(refusedByListener("asterisk-form OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n", 400));
        c.add(refused("dot-dot from an open prefix to /v1", head("POST", "/public/../v1/chat/completions",
                "Content-Type: application/json", "Content-Length: " + CHAT.length()) + CHAT, 400));
        c.add(refused("%2e%2e from an open prefix to /v1", head("POST", "/public/%2e%2e/v1/chat/completions",
                "Content-Type: application/json", "Content-Length: " + CHAT.length()) + CHAT, 400));
        c.add(refused("%2E%2E upper-case from an open prefix", head("GET", "/public/%2E%2E/v1/models"), 400));
        c.add(refused("encoded slash ..%2f from an open prefix", head("GET", "/public/..%2fv1/models"), 400));
        c.add(refusedByListener("backslash traversal from an open prefix", head("GET", "/public\\..\\v1/models"), 400));
        c.add(refused("single-dot segment", head("GET", "/v1/./models"), 400));
        c.add(refusedByListener("double slash before the prefix", head("GET", "//v1/models"), 400));
        c.add(refused("bad %-escape in the query", head("GET", "/v1/models?x=%zz"), 400));
        c.add(refused("bad %-escape at the end of the path", head("GET", "/v1/models%"), 400));
        c.add(new Case("bad %-escape on the admin port", "admin", "GET /admin/sessions?x=%zz HTTP/1.1\r\nHost: gw"
                + "\r\n\r\n", 400, true, 1, 0, false));
        // ---- methods ----
        c.add(refused("TRACE is refused inside the pipeline", head("TRACE", "/v1/models"), 405));
        c.add(new Case("OPTIONS is answered inside the pipeline (no token: 401 with a request id)", "http",
                "OPTIONS /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n", 401, false, 1, 0, true));
        c.add(refusedByListener("unknown method BREW", head("BREW", "/v1/models"), 405));
        // ---- pipelining and connection semantics ----
        c.add(refused("pipelined request after a refused framing is never run",
                chat("Transfer-Encoding: chunked", "Content-Length: 5") + "hello" + smuggled(), 400));
        c.add(new Case("pipelined request after Connection: close is never run", "http",
                head("GET", "/v1/models", "Connection: close") + smuggled(), 200, true, 1, 1, true));
        c.add(new Case("HTTP/1.0 request is answered and the connection closed", "http",
                head("GET", "/v1/models").replace(" HTTP/1.1\r\n", " HTTP/1.0\r\n") + smuggled(), 200, true, 1, 1, true));
        return c;
    }

    private static String post(String path, String contentType, String body, String... more) {
        List<String> headers = new ArrayList<>(List.of(more));
        if (contentType != null) {
            headers.add("Content-Type: " + contentType);
        }
        headers.add("Content-Length: " + body.getBytes(StandardCharsets.ISO_8859_1).length);
        return head("POST", path, headers.toArray(String[]::new)) + body;
    }

    private static Case bad(String name, String raw) {
        return new Case(name, "http", raw, 400, false, 1, 0, true);
    }

    /** Bodies and content headers: one meaning per request, or a 400 before any step reads the body. */
    private static List<Case> bodyCases() {
        String json = "application/json";
        String chatPath = "/v1/chat/completions";
        List<Case> c = new ArrayList<>();
        c.add(bad("duplicate key model", post(chatPath, json,
                "{\"model\":\"demo-small\",\"model\":\"big\",\"messages\":[]}")));
        c.add(bad("duplicate key spelled with an escape (m\\u006fdel)", post(chatPath, json,
                "{\"model\":\"demo-small\",\"m\\u006fdel\":\"big\",\"messages\":[]}")));
        c.add(bad("duplicate key max_tokens", post(chatPath, json,
                "{\"model\":\"demo-small\",\"max_tokens\":5,\"max_tokens\":99999,\"messages\":[]}")));
        c.add(bad("duplicate key stream", post(chatPath, json,
                "{\"model\":\"demo-small\",\"stream\":false,\"stream\":true,\"messages\":[]}")));
        c.add(bad("duplicate key nested in a message", post(chatPath, json,
                "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"role\":\"system\",\"content\":\"x\"}]}")));
        c.add(bad("max_completion_tokens as a string", post(chatPath, json,
                "{\"model\":\"demo-small\",\"max_tokens\":5,\"max_completion_tokens\":\"100000\",\"messages\":[]}")));
        c.add(bad("max_completion_tokens of 2^31", post(chatPath, json,
                "{\"model\":\"demo-small\",\"max_tokens\":5,\"max_completion_tokens\":2147483648,\"messages\":[]}")));
        c.add(bad("max_tokens as a fraction", post(chatPath, json,
                "{\"model\":\"demo-small\",\"max_tokens\":5.5,\"messages\":[]}")));
        c.add(bad("llama.cpp n_predict of -1 (unbounded)", post(chatPath, json,
                "{\"model\":\"demo-small\",\"max_tokens\":5,\"n_predict\":-1,\"messages\":[]}")));
        c.add(bad("TGI parameters.max_new_tokens as a string", post(chatPath, json,
                "{\"model\":\"demo-small\",\"parameters\":{\"max_new_tokens\":\"9999\"},\"messages\":[]}")));
        c.add(bad("Ollama options.num_predict as a string", post("/api/chat", json,
                "{\"model\":\"demo-small\",\"options\":{\"num_predict\":\"9999\"},\"messages\":[]}")));
        c.add(bad("JSON nested 1,000 levels deep", post(chatPath, json,
                "{\"model\":\"demo-small\",\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}")));
        c.add(bad("integer of 1,000 digits", post(chatPath, json,
                "{\"model\":\"demo-small\",\"seed\":" + "9".repeat(1000) + ",\"messages\":[]}")));
        c.add(bad("form-encoded POST whose body is JSON", post(chatPath, "application/x-www-form-urlencoded", CHAT)));
        c.add(bad("form-encoded POST with a bad %-escape", post(chatPath, "application/x-www-form-urlencoded",
                "a=%zz&b")));
        c.add(bad("text/plain body", post(chatPath, "text/plain", CHAT)));
        c.add(bad("JSON declared as UTF-16", post(chatPath, "application/json; charset=utf-16", CHAT)));
        c.add(bad("gzip Content-Encoding", post(chatPath, json, CHAT, "Content-Encoding: gzip")));
        c.add(bad("multipart without a boundary", post("/v1/files", "multipart/form-data", "--x\r\n\r\n--x--")));
        c.add(bad("empty chat body with Content-Length: 0", post(chatPath, json, "")));
        c.add(bad("body that is a JSON array", post(chatPath, json, "[" + CHAT + "]")));
        c.add(new Case("Expect: 100-continue is answered 100 then 200", "http",
                post(chatPath, json, CHAT, "Expect: 100-continue"), 100, false, 2, 1, false));
        c.add(new Case("unknown Expect value gets 417", "http", post(chatPath, json, CHAT, "Expect: teapot"), 417, true,
                1, 0, false));
        c.add(new Case("Expect: 100-continue over the body cap gets 413", "http", head("POST", chatPath,
                "Content-Type: application/json", "Content-Length: 10000000", "Expect: 100-continue"), 413, true, 1, 0,
                false));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> eachFramingCaseIsAnsweredAndNothingReachesTheModel() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run("framing", c)));
    }

    @TestFactory
    Stream<DynamicTest> eachBodyWithTwoPossibleMeaningsIsRefusedBeforeAnyStepReadsIt() {
        return bodyCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run("body", c)));
    }

    @org.junit.jupiter.api.Test
    void theCapOfARequestIsTheLargestOfEveryFieldThatBoundsOutputAndIsRecordedSo() throws Exception {
        String body = "{\"model\":\"demo-small\",\"max_tokens\":5,\"max_completion_tokens\":5000,\"n_predict\":70,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        RawHttp.Exchange got = RawHttp.send(stack.port(), post("/v1/chat/completions", "application/json", body)
                .getBytes(StandardCharsets.ISO_8859_1), 1, 300);

        assertThat(got.first().status()).isEqualTo(200);
        JsonNode record = stack.record(got.first().header("Gatehouse-Request-Id"));
        assertThat(record.at("/operation/maxTokens").asInt()).isEqualTo(5000);
        HardeningReport.add(new HardeningReport.Row("body", "cap is the largest of every output-token field",
                HardeningReport.show(body), "200, recorded maxTokens 5000", true, true, true));
    }

    @org.junit.jupiter.api.Test
    void aHeadAnswerHasNoBodySoTheNextAnswerOnTheConnectionIsReadWhole() throws Exception {
        String raw = head("HEAD", "/v1/models") + head("GET", "/v1/models");
        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), stack.port())) {
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.setSoTimeout(10_000);
            java.io.InputStream in = socket.getInputStream();
            StringBuilder text = new StringBuilder();
            byte[] buf = new byte[8192];
            while (countOf(text, "HTTP/1.1 ") < 2 || !text.toString().endsWith("}")) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                text.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
            String all = text.toString();
            int firstHeadEnd = all.indexOf("\r\n\r\n");
            assertThat(all).startsWith("HTTP/1.1 200");
            assertThat(all.substring(firstHeadEnd + 4)).as("the GET's answer follows the HEAD's head at once")
                    .startsWith("HTTP/1.1 200");
            HardeningReport.add(new HardeningReport.Row("framing", "HEAD answer carries no body",
                    HardeningReport.show(raw), "200 head only, next answer intact", true, false, true));
        }
    }

    private static int countOf(CharSequence text, String part) {
        int n = 0;
        for (int i = text.toString().indexOf(part); i >= 0; i = text.toString().indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static void run(String suite, Case c) throws Exception {
        int before = stack.model.count();
        boolean passed = false;
        String outcome = "no answer";
        boolean recorded = false;
        int reached = 0;
        try {
            int port = "admin".equals(c.port()) ? stack.adminPort() : stack.port();
            RawHttp.Exchange got = RawHttp.send(port, c.raw().getBytes(StandardCharsets.ISO_8859_1), c.answers(), 500);
            Thread.sleep(100); // let a request the gateway forwarded reach the model before counting
            reached = stack.model.count() - before;
            RawHttp.Response first = got.first();
            outcome = first == null ? "no answer" : first.status() + (got.closedByServer() ? ", closed" : ", kept open")
                    + (got.responses().size() > 1 ? ", " + got.responses().size() + " answers" : "");
            assertThat(first).as("an answer to %s", c.name()).isNotNull();
            assertThat(first.status()).as("status; body %s", first.body()).isEqualTo(c.status());
            if (first.status() < 200) {
                // an interim answer (100 Continue): the final one carries the request id
                first = got.responses().get(got.responses().size() - 1);
                assertThat(first.status()).as("final status after the interim answer").isEqualTo(200);
            }
            String requestId = first.header("Gatehouse-Request-Id");
            assertThat(requestId).as("Gatehouse-Request-Id").matches("[0-9a-f-]{36}");
            if (first.status() >= 400) {
                assertThat(first.header("Content-Type")).startsWith("application/problem+json");
                JsonNode problem = JSON.readTree(first.body());
                assertThat(problem.path("status").asInt()).isEqualTo(first.status());
                assertThat(problem.path("requestId").asText()).isEqualTo(requestId);
                assertThat(problem.path("detail").asText()).isNotBlank();
            }
            assertThat(got.responses()).as("answers").hasSize(c.answers());
            if (c.closes() != null) {
                assertThat(got.closedByServer()).as("connection closed by the gateway").isEqualTo(c.closes());
            }
            assertThat(reached).as("requests that reached the model").isEqualTo(c.modelRequests());
            assertThat(stack.model.seen.stream().skip(before).noneMatch(s -> s.body().contains("smuggled")))
                    .as("no smuggled request reached the model").isTrue();
            if (c.recorded()) {
                JsonNode record = stack.record(requestId);
                recorded = record != null && record.path("status").asInt() == first.status();
                assertThat(recorded).as("the exchange is in the audit trail with its status: %s", record).isTrue();
            }
            passed = true;
        } finally {
            HardeningReport.add(new HardeningReport.Row(suite, c.name(), HardeningReport.show(c.raw()), outcome,
                    reached > 0, recorded, passed));
        }
    }
}

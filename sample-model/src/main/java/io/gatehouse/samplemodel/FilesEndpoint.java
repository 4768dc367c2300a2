package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v1/files}: {@code POST} uploads a file ({@code multipart/form-data} with {@code file} and
 * {@code purpose}, as the OpenAI SDKs send it); {@code GET} lists; {@code GET /v1/files/{id}} and
 * {@code GET /v1/files/{id}/content} read one back.
 */
final class FilesEndpoint implements Endpoint {

    static final String PATH = "/v1/files";
    private static final Pattern BOUNDARY = Pattern.compile("boundary=(\"?)([^\";]+)\\1", Pattern.CASE_INSENSITIVE);
    private static final Pattern DISPOSITION_NAME = Pattern.compile("\\bname=\"([^\"]*)\"");
    private static final Pattern DISPOSITION_FILENAME = Pattern.compile("\\bfilename=\"([^\"]*)\"");

    private final SampleFiles files;

    FilesEndpoint(SampleFiles files) {
        this.files = files;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rest = exchange.getRequestURI().getPath().substring(PATH.length());
        if (rest.isEmpty() || rest.equals("/")) {
            if (method.equals("POST")) {
                upload(exchange);
            } else if (method.equals("GET")) {
                HttpIo.sendJson(exchange, 200, Json.object("object", "list", "data", files.fileList(),
                        "has_more", false));
            } else {
                notAllowed(exchange, "GET, POST");
            }
            return;
        }
        if (!method.equals("GET")) {
            notAllowed(exchange, "GET");
            return;
        }
        String[] parts = rest.substring(1).split("/");
        SampleFiles.StoredFile file = files.file(parts[0]);
        if (parts.length == 1) {
            HttpIo.sendJson(exchange, 200, file.json());
        } else if (parts.length == 2 && parts[1].equals("content")) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, file.content().length == 0 ? -1 : file.content().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(file.content());
            }
        } else {
            throw new ApiException(404, ApiException.INVALID_REQUEST, "unknown_url", null,
                    "Invalid URL (GET " + exchange.getRequestURI().getPath() + ")");
        }
    }

    private void upload(HttpExchange exchange) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        byte[] body = HttpIo.readBody(exchange);
        Matcher boundary = contentType == null ? null : BOUNDARY.matcher(contentType);
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")
                || !boundary.find()) {
            throw ApiException.badRequest("invalid_content_type", null,
                    "Upload files as multipart/form-data with the fields 'file' and 'purpose'.");
        }
        Map<String, Part> parts = parse(body, boundary.group(2));
        Part file = parts.get("file");
        if (file == null || file.filename() == null) {
            throw ApiException.badRequest("missing_required_parameter", "file", "Missing required parameter: 'file'.");
        }
        Part purpose = parts.get("purpose");
        if (purpose == null) {
            throw ApiException.badRequest("missing_required_parameter", "purpose",
                    "Missing required parameter: 'purpose'.");
        }
        SampleFiles.StoredFile stored = files.add(file.filename(), new String(purpose.content(),
                StandardCharsets.UTF_8).strip(), file.content());
        HttpIo.sendJson(exchange, 200, stored.json());
    }

    private record Part(String filename, byte[] content) {
    }

    /** The parts of a multipart/form-data body, by field name. */
    static Map<String, Part> parse(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        Map<String, Part> parts = new LinkedHashMap<>();
        int start = indexOf(body, delimiter, 0);
        while (start >= 0) {
            int headStart = start + delimiter.length;
            if (headStart + 1 < body.length && body[headStart] == '-' && body[headStart + 1] == '-') {
                break; // closing delimiter
            }
            headStart += 2; // CRLF after the delimiter
            int headEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headStart);
            int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1), headStart);
            if (headEnd < 0 || next < 0 || headEnd > next) {
                throw ApiException.badRequest("invalid_multipart", null, "The multipart body is malformed.");
            }
            String head = new String(body, headStart, headEnd - headStart, StandardCharsets.UTF_8);
            Matcher name = DISPOSITION_NAME.matcher(head);
            if (name.find()) {
                Matcher filename = DISPOSITION_FILENAME.matcher(head);
                parts.put(name.group(1), new Part(filename.find() ? filename.group(1) : null,
                        Arrays.copyOfRange(body, headEnd + 4, next)));
            }
            start = next + 2;
        }
        return parts;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void notAllowed(HttpExchange exchange, String allow) {
        exchange.getResponseHeaders().set("Allow", allow);
        throw new ApiException(405, ApiException.INVALID_REQUEST, "method_not_allowed", null,
                "Method " + exchange.getRequestMethod() + " is not allowed on " + exchange.getRequestURI().getPath()
                        + "; use " + allow + ".");
    }
}

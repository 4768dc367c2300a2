package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** One API operation. Runs on a worker thread; throws {@link ApiException} for an OpenAI-style error. */
interface Endpoint {

    void handle(HttpExchange exchange) throws IOException;
}

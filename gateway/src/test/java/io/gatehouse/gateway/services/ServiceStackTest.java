package io.gatehouse.gateway.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Services are closed in the reverse order of their opening, and a failed opening leaves nothing open. */
class ServiceStackTest {

    private final List<String> events = new ArrayList<>();

    /** A service that notes when it opens and closes. */
    private AutoCloseable service(String name) {
        events.add("open " + name);
        return () -> events.add("close " + name);
    }

    @Test
    void servicesAreClosedInTheReverseOrderOfTheirOpening() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> service("store"));
        stack.open("audit writer", () -> service("audit writer"));
        stack.open("approvals", () -> service("approvals"));

        assertThat(stack.names()).containsExactly("approvals", "audit writer", "store");
        stack.close();

        assertThat(events).containsExactly("open store", "open audit writer", "open approvals",
                "close approvals", "close audit writer", "close store");
        assertThat(stack.names()).isEmpty();
    }

    @Test
    void aServiceThatCannotBeOpenedClosesTheOnesAlreadyOpenAndItsFailureIsPassedOn() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> service("store"));
        stack.open("audit writer", () -> service("audit writer"));
        IllegalStateException refused = new IllegalStateException("approvals refused");

        assertThatThrownBy(() -> stack.open("approvals", () -> {
            throw refused;
        })).isSameAs(refused);

        assertThat(events).containsExactly("open store", "open audit writer", "close audit writer", "close store");
        assertThat(stack.names()).isEmpty();
    }

    @Test
    void aCheckedFailureToOpenIsWrappedNamingTheService() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> service("store"));

        assertThatThrownBy(() -> stack.open("audit writer", () -> {
            throw new IOException("data/audit is not a directory");
        })).isInstanceOf(ServiceStack.ServiceOpeningException.class)
                .hasMessage("cannot open the audit writer: data/audit is not a directory")
                .hasCauseInstanceOf(IOException.class);

        assertThat(events).containsExactly("open store", "close store");
    }

    @Test
    void aServiceThatFailsToCloseDoesNotKeepTheOnesBeforeItOpen() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> service("store"));
        stack.open("audit writer", () -> () -> {
            throw new IOException("disk full");
        });
        stack.open("approvals", () -> service("approvals"));

        stack.close();

        assertThat(events).containsExactly("open store", "open approvals", "close approvals", "close store");
    }

    @Test
    void closeFailuresAfterAFailedOpeningTravelWithTheFailure() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> () -> {
            throw new IOException("store would not close");
        });
        IllegalStateException refused = new IllegalStateException("audit writer refused");

        assertThatThrownBy(() -> stack.open("audit writer", () -> {
            throw refused;
        })).isSameAs(refused);

        assertThat(refused.getSuppressed()).extracting(Throwable::getMessage).containsExactly("store would not close");
    }

    @Test
    void closingTwiceClosesEachServiceOnce() {
        ServiceStack stack = new ServiceStack();
        stack.open("store", () -> service("store"));

        stack.close();
        stack.close();

        assertThat(events).containsExactly("open store", "close store");
    }
}

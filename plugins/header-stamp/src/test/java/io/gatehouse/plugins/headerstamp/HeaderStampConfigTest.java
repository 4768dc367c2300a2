package io.gatehouse.plugins.headerstamp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigException;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderStampConfigTest {

    private static AbstractThrowableAssert<?, ?> refused(String name, String value, String field) {
        return assertThatThrownBy(() -> new HeaderStampConfig(name, value)).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(field));
    }

    @Test
    void aNameIsRequired() {
        refused(null, "x", "name").hasMessage("is required: the response header to set, e.g. X-Served-By");
    }

    @Test
    void aNameMustBeAHeaderToken() {
        refused("X Served", "x", "name").hasMessage("'X Served' is not a header name (expected: letters, digits and"
                + " !#$%&'*+.^_`|~- only)");
        refused(":status", "200", "name").hasMessage("':status' is not a header name (expected: letters, digits and"
                + " !#$%&'*+.^_`|~- only)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection", "keep-alive", "Transfer-Encoding", "TE", "Upgrade", "Proxy-Authorization",
            "Content-Length"})
    void hopByHopAndFramingNamesAreRefused(String name) {
        refused(name, "x", "name").hasMessage("'" + name + "' is a hop-by-hop or framing header that the gateway"
                + " manages itself (expected: an end-to-end header such as X-Served-By)");
    }

    @Test
    void aNameInTheGatehouseNamespaceIsAllowed() {
        assertThat(new HeaderStampConfig("Gatehouse-Tier", "gold").name()).isEqualTo("Gatehouse-Tier");
    }

    @Test
    void aValueIsRequired() {
        refused("X-Served-By", "", "value").hasMessage("is required: the value of the X-Served-By header");
    }

    @Test
    void aValueWithALineBreakIsRefused() {
        refused("X-Served-By", "a\r\nSet-Cookie: x=1", "value")
                .hasMessage("must be visible ASCII with inner spaces or tabs only, and no line breaks");
    }

    @Test
    void aValueWithInnerSpacesIsAllowed() {
        assertThat(new HeaderStampConfig("X-Note", "served by gatehouse").value()).isEqualTo("served by gatehouse");
    }
}

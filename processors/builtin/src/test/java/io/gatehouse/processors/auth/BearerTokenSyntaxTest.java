package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BearerTokenSyntaxTest {

    @Test
    void aJwtAndPaddedTokensAreB64Tokens() {
        assertThat(BearerToken.isB64Token("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_~+/")).isTrue();
        assertThat(BearerToken.isB64Token("abc==")).isTrue();
    }

    @Test
    void paddingOnlyInTheMiddleOrWithoutCharactersOrAnyOtherCharacterIsRefused() {
        assertThat(BearerToken.isB64Token("")).isFalse();
        assertThat(BearerToken.isB64Token("==")).isFalse();
        assertThat(BearerToken.isB64Token("ab=c")).isFalse();
        assertThat(BearerToken.isB64Token("a b")).isFalse();
        assertThat(BearerToken.isB64Token("a\"b")).isFalse();
        assertThat(BearerToken.isB64Token("tok\u00e9n")).isFalse();
    }
}

package io.gatehouse.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The console's authorization request, PKCE and logout address. */
class OidcClientTest {

    private static final OidcClient.Endpoints ENDPOINTS = new OidcClient.Endpoints(
            URI.create("http://idp.test/auth"), URI.create("http://idp.test/token"), URI.create("http://idp.test/logout"));

    @Test
    void theCodeChallengeIsTheS256OfTheVerifierAsInRfc7636AppendixB() {
        assertThat(OidcClient.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
                .isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    @Test
    void theAuthorizationRequestAsksForACodeWithPkceStateAndNonce() {
        URI url = OidcClient.authorizationUrl(ENDPOINTS, "gatehouse-console",
                URI.create("http://127.0.0.1:8081/console/callback"), "st", "no", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                List.of());

        assertThat(url.toString()).isEqualTo("http://idp.test/auth?response_type=code&client_id=gatehouse-console"
                + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fconsole%2Fcallback&scope=openid&state=st&nonce=no"
                + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
    }

    @Test
    void aStepUpAsksForTheAcrValuesWithAFreshSignIn() {
        URI url = OidcClient.authorizationUrl(ENDPOINTS, "c", URI.create("http://127.0.0.1/cb"), "s", "n", "v",
                List.of("2", "gold"));

        assertThat(url.getRawQuery()).endsWith("&acr_values=2+gold&prompt=login");
    }

    @Test
    void logoutSendsTheIdTokenHintAndWhereToComeBack() {
        URI url = OidcClient.logoutUrl(ENDPOINTS, "gatehouse-console", "id.tok.en",
                URI.create("http://127.0.0.1:8081/console/"));

        assertThat(url.toString()).isEqualTo("http://idp.test/logout?client_id=gatehouse-console&id_token_hint=id.tok.en"
                + "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fconsole%2F");
        assertThat(OidcClient.logoutUrl(new OidcClient.Endpoints(ENDPOINTS.authorization(), ENDPOINTS.token(), null),
                "c", "t", URI.create("http://x/"))).isNull();
    }

    @Test
    void randomValuesCarry256BitsAndDiffer() {
        assertThat(OidcClient.random()).hasSize(43).isNotEqualTo(OidcClient.random());
    }
}

package io.gatehouse.it.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * OIDC against a real Keycloak 26.5.6 through a real gateway: tokens from Keycloak's token endpoint
 * (password grant, client credentials, a SAML login brokered by Keycloak), short-lived and old
 * tokens, MFA for ml-leads, a key rotated in Keycloak, and Keycloak going away. Keycloak starts once
 * for the class (about 20-60 s, plus ~40 s the first time a checkout builds its dev configuration)
 * and stops at the end; the last test stops it on purpose.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakIdentityIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static KeycloakServer keycloak;
    private static IdentityStack stack;

    @BeforeAll
    static void start() throws Exception {
        keycloak = KeycloakServer.shared();
        stack = IdentityStack.start(keycloak.issuer());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        KeycloakServer.stopShared();
    }

    private static JsonNode problem(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        return JSON.readTree(response.body());
    }

    private static String alice() throws Exception {
        return keycloak.passwordToken("gatehouse", "alice", "alice-password");
    }

    @Test
    @Order(1)
    void alicesPasswordGrantTokenIsAcceptedAndTheModelNeverSeesIt() throws Exception {
        String token = alice();

        HttpResponse<String> response = stack.get("/v1/models", token);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("demo-small");
    }

    @Test
    @Order(2)
    void theModelLearnsWhoAskedFromATokenTheGatewaySignedAndPublishes() throws Exception {
        String token = alice();

        HttpResponse<String> response = stack.get("/recorded/whoami", token);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        IdentityStack.Seen seen = stack.seen().get(stack.seen().size() - 1);
        assertThat(seen.header("Authorization")).isEqualTo("Bearer " + IdentityStack.MODEL_KEY);
        SignedJWT identity = SignedJWT.parse(seen.header("Gatehouse-Identity"));
        JWKSet gatewayKeys = JWKSet.parse(stack.admin("/.well-known/gatehouse/jwks.json").body());
        assertThat(identity.verify(new ECDSAVerifier(gatewayKeys.getKeyByKeyId(identity.getHeader().getKeyID())
                .toECKey()))).isTrue();
        assertThat(identity.getJWTClaimsSet().getClaim("preferred_username")).isEqualTo("alice");
        assertThat(identity.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("analysts");
        assertThat(identity.getJWTClaimsSet().getClaim("idp")).isEqualTo(keycloak.issuer());
        assertThat(identity.getJWTClaimsSet().getAudience()).containsExactly("recorded");
        assertThat(seen.headers().values().stream().flatMap(List::stream)).noneMatch(v -> v.contains(token));
    }

    @Test
    @Order(3)
    void theCiPipelinesClientCredentialsTokenIsAcceptedAsAnMlEngineer() throws Exception {
        String token = keycloak.clientCredentialsToken("ci-pipeline", "ci-pipeline-secret");

        HttpResponse<String> response = stack.get("/recorded/ci", token);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        SignedJWT identity = SignedJWT.parse(stack.seen().get(stack.seen().size() - 1).header("Gatehouse-Identity"));
        assertThat(identity.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("ml-engineers");
        assertThat(identity.getJWTClaimsSet().getClaim("client_id")).isEqualTo("ci-pipeline");
    }

    @Test
    @Order(4)
    void aTokenForAnotherAudienceIsRejectedWithABearerChallenge() throws Exception {
        String adminCliToken = keycloak.passwordToken("admin-cli", "alice", "alice-password");

        HttpResponse<String> response = stack.get("/v1/models", adminCliToken);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
                assertThat(challenge).startsWith("Bearer realm=\"gatehouse\", error=\"invalid_token\""));
        JsonNode problem = problem(response);
        assertThat(problem.get("status").asInt()).isEqualTo(401);
        assertThat(problem.toString()).contains("wrong-audience");
    }

    @Test
    @Order(5)
    void carolOfMlLeadsWithoutOtpGetsInsufficientUserAuthentication() throws Exception {
        String token = keycloak.passwordToken("gatehouse", "carol", "carol-password");

        HttpResponse<String> response = stack.get("/v1/models", token);

        assertThat(response.statusCode()).isEqualTo(401);
        String detail = "group 'ml-leads' requires a second factor: the token shows amr [pwd] and acr 1, but needs"
                + " amr otp; sign in again with a second factor";
        assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"gatehouse\","
                + " error=\"insufficient_user_authentication\", error_description=\"" + detail + "\"");
        assertThat(problem(response).get("detail").asText()).isEqualTo(detail);
    }

    @Test
    @Order(6)
    void aMemberOfMlLeadsWhoSignsInWithOtpIsAccepted() throws Exception {
        String token = keycloak.tokenWithErinsOtp("gatehouse").get("access_token").asText();

        HttpResponse<String> response = stack.get("/v1/models", token);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    @Test
    @Order(7)
    void aSamlUserBrokeredByKeycloakArrivesAsAnOidcTokenWithItsGroupMapped() throws Exception {
        String token = new SamlBrokerLogin(keycloak).accessToken("sam", "sam-password");

        HttpResponse<String> response = stack.get("/recorded/saml", token);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        SignedJWT identity = SignedJWT.parse(stack.seen().get(stack.seen().size() - 1).header("Gatehouse-Identity"));
        assertThat(identity.getJWTClaimsSet().getClaim("preferred_username")).isEqualTo("sam");
        assertThat(identity.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("analysts");
    }

    @Test
    @Order(8)
    void anExpiredTokenIsRejected() throws Exception {
        String token = keycloak.passwordToken(KeycloakServer.SHORT_LIVED_CLIENT, "alice", "alice-password");
        assertThat(stack.get("/v1/models", token).statusCode()).isEqualTo(200);

        Thread.sleep(4_000); // lifespan 2 s + clock skew 1 s

        HttpResponse<String> response = stack.get("/v1/models", token);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(problem(response).get("detail").asText()).startsWith("the token expired at ");
    }

    @Test
    @Order(9)
    void aTokenOlderThanMaxTokenAgeIsRejectedThoughItsExpIsMinutesAway() throws Exception {
        String token = alice();
        assertThat(stack.get("/short/x", token).statusCode()).isEqualTo(200);

        Thread.sleep(5_000); // maxTokenAge 3 s + clock skew 1 s + iat rounding

        HttpResponse<String> response = stack.get("/short/x", token);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(problem(response).get("detail").asText()).endsWith("this endpoint accepts tokens up to 3s old;"
                + " get a new token");
        assertThat(stack.get("/v1/models", token).statusCode()).as("other endpoints have no such limit")
                .isEqualTo(200);
    }

    @Test
    @Order(10)
    void aKeyRotatedInKeycloakIsUsedWithoutARestartAndTheWithdrawnKeyStopsWorking() throws Exception {
        String before = alice();
        String oldKid = SignedJWT.parse(before).getHeader().getKeyID();
        assertThat(stack.get("/v1/models", before).statusCode()).isEqualTo(200);

        keycloak.rotateSigningKey();
        String after = alice();

        assertThat(SignedJWT.parse(after).getHeader().getKeyID()).isNotEqualTo(oldKid);
        // A key fetch started just before the rotation may still answer with the old set, and key
        // fetches are at least jwks.refreshInterval (1 s in IdentityStack) apart: the new key is used as
        // soon as the next fetch may run, not necessarily on the very first request.
        assertThat(eventually(() -> stack.get("/v1/models", after), 200).statusCode()).isEqualTo(200);
        HttpResponse<String> withdrawn = eventually(() -> stack.get("/v1/models", before), 401);
        assertThat(withdrawn.statusCode()).isEqualTo(401);
        assertThat(problem(withdrawn).get("detail").asText()).isEqualTo("the signing key of the token (kid " + oldKid
                + ") is not one of the keys of its identity provider; get a new token");
        assertThat(stack.get("/v1/models", after).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(11)
    void rejectionsAreCountedByReasonInTheMetrics() throws Exception {
        String metrics = stack.admin("/metrics").body();

        assertThat(metrics).contains("gatehouse_denials_total{endpoint=\"chat\",policy=\"auth\",rule=\"wrong-audience\"}")
                .contains("gatehouse_denials_total{endpoint=\"chat\",policy=\"auth\",rule=\"mfa-required\"}")
                .contains("gatehouse_denials_total{endpoint=\"chat\",policy=\"auth\",rule=\"expired\"}")
                .contains("gatehouse_denials_total{endpoint=\"short\",policy=\"auth\",rule=\"token-too-old\"}");
    }

    @Test
    @Order(12)
    void whenKeycloakStopsCachedKeysServeUntilTheStalenessLimitThenTheGatewayFailsClosed() throws Exception {
        String token = alice();
        assertThat(stack.get("/v1/models", token).statusCode()).isEqualTo(200);

        KeycloakServer.stopShared();

        assertThat(stack.get("/v1/models", token).statusCode()).as("right after: cached keys").isEqualTo(200);
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> last = null;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            last = stack.get("/v1/models", token);
            statuses.add(last.statusCode());
            if (last.statusCode() == 503) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(statuses).as("only served or failed closed, never anything else").containsOnly(200, 503);
        assertThat(last.statusCode()).isEqualTo(503);
        assertThat(last.headers().firstValue("Retry-After")).contains("1");
        assertThat(problem(last).get("detail").asText()).startsWith("the signing keys of identity provider"
                + " 'keycloak' were fetched at ").contains("longer ago than its jwks.maxStaleness of 8s");
        assertThat(stack.get("/v1/models", token).statusCode()).as("and stays closed").isEqualTo(503);
    }

    private interface Call {
        HttpResponse<String> send() throws Exception;
    }

    /** Repeats a call (key refreshes run in the background) until it answers {@code status}, for at most 10 s. */
    private static HttpResponse<String> eventually(Call call, int status) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        HttpResponse<String> response = call.send();
        while (response.statusCode() != status && System.nanoTime() < deadline) {
            Thread.sleep(250);
            response = call.send();
        }
        return response;
    }
}

package io.gatehouse.processors.auth;

import java.util.List;

/** 95 weak HMAC secrets of the kind jwt_tool's playbook and public wordlists try first. */
final class CommonSecrets {

    static final List<String> ALL = List.of(
            "secret", "Secret", "SECRET", "secret1", "secret123", "secretkey", "secret-key", "secret_key", "mysecret",
            "my-secret", "my_secret", "mysecretkey", "your-256-bit-secret", "your-384-bit-secret",
            "your-512-bit-secret", "jwt", "jwt-secret", "jwt_secret", "jwtsecret", "JWT_SECRET", "jwtkey", "jwt-key",
            "key", "key1", "mykey", "privatekey", "private", "public", "password", "Password", "password1",
            "password123", "Passw0rd", "p@ssw0rd", "passw0rd", "pass", "admin", "admin123", "administrator", "root",
            "toor", "test", "test123", "testing", "qwerty", "qwerty123", "123456", "1234567", "12345678", "123456789",
            "1234567890", "000000", "111111", "abc123", "letmein", "welcome", "changeme", "changeit", "default",
            "example", "sample", "demo", "dev", "development", "production", "prod", "staging", "token", "auth",
            "authentication", "api", "apikey", "api_key", "app", "application", "server", "service", "gatehouse",
            "keycloak", "hs256", "HS256", "hmac", "signing-key", "signingkey", "shhhhh", "shhhhhared-secret",
            "supersecret", "topsecret", "s3cr3t", "notsosecret", "null", "undefined", "none", "1", "gatehouse-secret");

    private CommonSecrets() {
    }
}

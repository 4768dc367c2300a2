package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DevCertificatesTest {

    private Path data;

    @BeforeEach
    void createDirectory() throws Exception {
        data = Files.createTempDirectory("gatehouse-certs-test");
    }

    @AfterEach
    void deleteDirectory() throws Exception {
        AgentFixture.deleteRecursively(data);
    }

    private static X509Certificate read(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void firstStartCreatesACaAndAgentAndGatewayCertificatesItSigned() throws Exception {
        DevCertificates.CertificateFiles files = DevCertificates.ensure(data);

        assertThat(files.caCertificate()).isEqualTo(data.resolve("certs/ca.crt"));
        X509Certificate ca = read(files.caCertificate());
        X509Certificate agent = read(files.agentCertificate());
        X509Certificate gateway = read(files.gatewayCertificate());
        ca.verify(ca.getPublicKey());
        agent.verify(ca.getPublicKey());
        gateway.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isEqualTo(0);
        assertThat(agent.getBasicConstraints()).isEqualTo(-1);
        assertThat(gateway.getSubjectX500Principal().getName()).isEqualTo("CN=gatehouse-gateway");
        assertThat(agent.getSubjectAlternativeNames()).containsExactlyInAnyOrder(List.of(7, "127.0.0.1"),
                List.of(2, "localhost"));
        // Both ends of either mode: a listening agent is a TLS server, a dialling agent a client (and the gateway's
        // agent tunnel a server).
        assertThat(agent.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(gateway.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(gateway.getSubjectAlternativeNames()).containsExactlyInAnyOrder(List.of(7, "127.0.0.1"),
                List.of(2, "localhost"));
        assertThat(Files.readString(files.agentKey())).startsWith("-----BEGIN PRIVATE KEY-----\n");
        for (Path key : List.of(files.caKey(), files.agentKey(), files.gatewayKey())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        }
        try (Stream<Path> left = Files.list(data.resolve("certs"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".lock", "ca.crt",
                    "ca.key", "agent.crt", "agent.key", "gateway.crt", "gateway.key");
        }
    }

    @Test
    void aSecondStartKeepsTheExistingFiles() throws Exception {
        DevCertificates.CertificateFiles files = DevCertificates.ensure(data);
        byte[] ca = Files.readAllBytes(files.caCertificate());
        byte[] agentKey = Files.readAllBytes(files.agentKey());

        DevCertificates.ensure(data);

        assertThat(Files.readAllBytes(files.caCertificate())).isEqualTo(ca);
        assertThat(Files.readAllBytes(files.agentKey())).isEqualTo(agentKey);
    }

    @Test
    void aMissingLeafIsReissuedByTheExistingCa() throws Exception {
        DevCertificates.CertificateFiles files = DevCertificates.ensure(data);
        byte[] ca = Files.readAllBytes(files.caCertificate());
        byte[] agent = Files.readAllBytes(files.agentCertificate());
        Files.delete(files.gatewayKey());

        DevCertificates.ensure(data);

        assertThat(Files.readAllBytes(files.caCertificate())).isEqualTo(ca);
        assertThat(Files.readAllBytes(files.agentCertificate())).isEqualTo(agent);
        read(files.gatewayCertificate()).verify(read(files.caCertificate()).getPublicKey());
        assertThat(files.gatewayKey()).exists();
    }

    @Test
    void twoProcessesStartingTogetherAndThisOneAgreeOnOneCa() throws Exception {
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), DevCertificatesProcess.class.getName(), data.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        DevCertificates.CertificateFiles files = DevCertificates.ensure(data);
        for (Process p : processes) {
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        }

        X509Certificate ca = read(files.caCertificate());
        read(files.agentCertificate()).verify(ca.getPublicKey());
        read(files.gatewayCertificate()).verify(ca.getPublicKey());
        assertThat(keyMatches(files.agentKey(), read(files.agentCertificate()))).isTrue();
        assertThat(keyMatches(files.gatewayKey(), read(files.gatewayCertificate()))).isTrue();
        assertThat(keyMatches(files.caKey(), ca)).isTrue();
    }

    /** True when the PEM key is the private half of the certificate's public key. */
    private static boolean keyMatches(Path keyFile, X509Certificate cert) throws Exception {
        String base64 = Files.readString(keyFile).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        java.security.PrivateKey key = java.security.KeyFactory.getInstance("EC").generatePrivate(
                new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(base64)));
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(key);
        signer.update(new byte[]{1, 2, 3});
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(cert.getPublicKey());
        verifier.update(new byte[]{1, 2, 3});
        return verifier.verify(signature);
    }

    @Test
    void concurrentStartsAgreeOnOneCa() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Callable<byte[]> start = () -> Files.readAllBytes(DevCertificates.ensure(data).caCertificate());
                results.add(pool.submit(start));
            }
            byte[] first = results.get(0).get();
            for (Future<byte[]> r : results) {
                assertThat(r.get()).isEqualTo(first);
            }
            DevCertificates.CertificateFiles files = DevCertificates.locate(data);
            read(files.agentCertificate()).verify(read(files.caCertificate()).getPublicKey());
            read(files.gatewayCertificate()).verify(read(files.caCertificate()).getPublicKey());
        } finally {
            pool.shutdownNow();
        }
    }
}

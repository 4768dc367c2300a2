package io.gatehouse.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Development certificates for the gateway↔agent link, kept in {@code <dataDirectory>/certs}: a
 * self-signed CA ({@code ca.crt}/{@code ca.key}), the agent's certificate
 * ({@code agent.crt}/{@code agent.key}, CN gatehouse-agent) and the gateway's
 * ({@code gateway.crt}/{@code gateway.key}, CN gatehouse-gateway). Both leaves are good for either side of
 * a TLS connection (SAN IP 127.0.0.1 and DNS localhost, server and client authentication), because in
 * dial-out mode the agent is the client and the gateway's tunnel listener the server. EC P-256, PEM,
 * PKCS#8 keys readable by the owner only. Leaves written by an older version (server or client only) are
 * issued again.
 *
 * <p>{@link #ensure} is idempotent and safe when the gateway and the agent start together: it holds
 * a lock file in the directory, writes each file to a temporary file and moves it into place
 * atomically. Missing leaf certificates are issued by the existing CA; a missing CA regenerates all.
 */
public final class DevCertificates {

    public static final String DIRECTORY = "certs";
    public static final String GATEWAY_COMMON_NAME = "gatehouse-gateway";
    public static final String AGENT_COMMON_NAME = "gatehouse-agent";
    public static final String CA_COMMON_NAME = "Gatehouse development CA";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC_READ = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The six files of a certificate directory. */
    public record CertificateFiles(Path caCertificate, Path caKey, Path agentCertificate, Path agentKey,
                         Path gatewayCertificate, Path gatewayKey) {
    }

    private DevCertificates() {
    }

    /** Where the files are (or will be) for a data directory; creates nothing. */
    public static CertificateFiles locate(Path dataDirectory) {
        Path dir = dataDirectory.resolve(DIRECTORY);
        return new CertificateFiles(dir.resolve("ca.crt"), dir.resolve("ca.key"), dir.resolve("agent.crt"),
                dir.resolve("agent.key"), dir.resolve("gateway.crt"), dir.resolve("gateway.key"));
    }

    /**
     * Creates whatever is missing under {@code <dataDirectory>/certs} and returns the file paths.
     *
     * @throws UncheckedIOException when the directory cannot be written
     */
    public static CertificateFiles ensure(Path dataDirectory) {
        CertificateFiles files = locate(dataDirectory);
        Path dir = files.caCertificate().getParent();
        IN_PROCESS.lock();
        try {
            createDirectory(dir);
            try (FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                generateMissing(files);
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create development certificates in " + dir + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create development certificates: " + e.getMessage(), e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private static void generateMissing(CertificateFiles f) throws IOException, GeneralSecurityException, OperatorCreationException {
        boolean freshCa = !Files.exists(f.caCertificate()) || !Files.exists(f.caKey());
        X509Certificate caCert;
        PrivateKey caKey;
        if (freshCa) {
            KeyPair ca = newKeyPair();
            caCert = caCertificate(ca);
            caKey = ca.getPrivate();
        } else {
            caCert = readCertificate(f.caCertificate());
            caKey = readPrivateKey(f.caKey());
        }
        if (freshCa || !Files.exists(f.agentCertificate()) || !Files.exists(f.agentKey())
                || !bothSides(f.agentCertificate())) {
            KeyPair agent = newKeyPair();
            X509Certificate cert = leaf(caCert, caKey, agent.getPublic(), AGENT_COMMON_NAME, true);
            writeKey(f.agentKey(), agent.getPrivate());
            writeCertificate(f.agentCertificate(), cert);
        }
        if (freshCa || !Files.exists(f.gatewayCertificate()) || !Files.exists(f.gatewayKey())
                || !bothSides(f.gatewayCertificate())) {
            KeyPair gateway = newKeyPair();
            X509Certificate cert = leaf(caCert, caKey, gateway.getPublic(), GATEWAY_COMMON_NAME, false);
            writeKey(f.gatewayKey(), gateway.getPrivate());
            writeCertificate(f.gatewayCertificate(), cert);
        }
        if (freshCa) {
            // Written last: until both CA files exist, a later start regenerates everything.
            writeKey(f.caKey(), caKey);
            writeCertificate(f.caCertificate(), caCert);
        }
    }

    /** True when a leaf certificate is good for both server and client authentication (this version's). */
    private static boolean bothSides(Path certificate) {
        try {
            java.util.List<String> usages = readCertificate(certificate).getExtendedKeyUsage();
            return usages != null && usages.contains(KeyPurposeId.id_kp_serverAuth.getId())
                    && usages.contains(KeyPurposeId.id_kp_clientAuth.getId());
        } catch (IOException | GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * Issues one more development certificate from the CA under {@code <dataDirectory>/certs} (created if
     * missing), with common name {@code commonName}: for a second dialling agent with an identity of its own.
     * Written to {@code <directory>/<commonName>.crt} and {@code .key}; returns {certificate, key}.
     */
    public static Path[] issue(Path dataDirectory, String commonName, Path directory) {
        CertificateFiles files = ensure(dataDirectory);
        IN_PROCESS.lock();
        try {
            createDirectory(directory);
            X509Certificate caCert = readCertificate(files.caCertificate());
            PrivateKey caKey = readPrivateKey(files.caKey());
            KeyPair pair = newKeyPair();
            Path cert = directory.resolve(commonName + ".crt");
            Path key = directory.resolve(commonName + ".key");
            writeKey(key, pair.getPrivate());
            writeCertificate(cert, leaf(caCert, caKey, pair.getPublic(), commonName, true));
            return new Path[] {cert, key};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot issue a development certificate in " + directory + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue a development certificate: " + e.getMessage(), e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate caCertificate(KeyPair ca) throws GeneralSecurityException, OperatorCreationException,
            IOException {
        X500Name name = new X500Name("CN=" + CA_COMMON_NAME);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), name, ca.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
        return sign(builder, ca.getPrivate());
    }

    private static X509Certificate leaf(X509Certificate caCert, PrivateKey caKey, PublicKey key, String commonName,
                                        boolean server) throws GeneralSecurityException, OperatorCreationException,
            IOException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(825))),
                new X500Name("CN=" + commonName), key);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
        builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        // Either side of a connection: listening agents are servers, dialling agents clients (and the gateway the
        // other way round). The common name, not the host-name SANs, is a dialling agent's identity.
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[]{
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")}));
        return sign(builder, caKey);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static void writeCertificate(Path file, X509Certificate cert) throws IOException, GeneralSecurityException {
        writeAtomically(file, pem("CERTIFICATE", cert.getEncoded()), PUBLIC_READ);
    }

    private static void writeKey(Path file, PrivateKey key) throws IOException {
        // A JDK EC private key encodes as PKCS#8.
        writeAtomically(file, pem("PRIVATE KEY", key.getEncoded()), OWNER_ONLY);
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void writeAtomically(Path file, byte[] content, Set<PosixFilePermission> permissions)
            throws IOException {
        Path dir = file.getParent();
        Path temp;
        if (isPosix(dir)) {
            // Created owner-only, so a key is never readable by others, not even briefly.
            temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        }
        try {
            Files.write(temp, content);
            if (isPosix(dir)) {
                Files.setPosixFilePermissions(temp, permissions);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir.getParent() == null ? dir.toAbsolutePath().getParent() : dir.getParent());
        try {
            if (isPosix(dir.getParent() == null ? dir.toAbsolutePath().getParent() : dir.getParent())) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException raced) {
            // Another process created it first.
        }
    }

    private static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}

package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.spi.ProcessorFactory;
import java.io.StringWriter;
import java.net.URLClassLoader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Plugins come from jars in the configured folder, as an operator would install them. */
class PluginFolderIT {

    private static final String FACTORY = "io.gatehouse.plugins.headerstamp.HeaderStampProcessorFactory";
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = Stack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theHeaderStampPluginIsNotOnTheTestClasspath() {
        assertThatThrownBy(() -> Class.forName(FACTORY, false, PluginFolderIT.class.getClassLoader()))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void aGatewayWhosePluginsFolderHoldsTheHeaderStampJarStampsItsResponses() {
        HttpResponse<String> response = Http.get(stack.uri("/v1/models"), stack.token());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().allValues("Gatehouse-Served-By")).containsExactly("gatehouse-it");
    }

    @Test
    void theHeaderStampFactoryIsLoadedFromTheJarInThePluginsFolder() throws Exception {
        ProcessorRegistry registry = ProcessorRegistry.load(getClass().getClassLoader(),
                Optional.of(Stack.pluginsDirectoryProperty()));

        ProcessorFactory<?> factory = registry.find("header-stamp").orElseThrow();
        assertThat(factory.getClass().getName()).isEqualTo(FACTORY);
        assertThat(factory.getClass().getProtectionDomain().getCodeSource().getLocation().toURI())
                .isEqualTo(Stack.headerStampJar().toUri());
        assertThat(factory.getClass().getClassLoader()).isInstanceOf(URLClassLoader.class);
    }

    @Test
    void twoCopiesOfOnePluginJarFailTheStartNamingTheClassAndBothJars() throws Exception {
        Path folder = Files.createTempDirectory("gatehouse-it-plugins-");
        try {
            Path jar = Stack.headerStampJar();
            Files.copy(jar, folder.resolve(jar.getFileName()));
            Files.copy(jar, folder.resolve("header-stamp-copy.jar"));

            List<String> errors = loadWithPlugins(folder);

            assertThat(errors).containsExactly("two processor factories have the id 'header-stamp': " + FACTORY
                    + " from " + jar.getFileName() + " and " + FACTORY + " from header-stamp-copy.jar; remove one of"
                    + " the jars or rename one id");
        } finally {
            Stack.deleteRecursively(folder);
        }
    }

    @Test
    void twoPluginJarsWhoseFactoriesShareAnIdFailTheStartNamingBothClasses() throws Exception {
        Path folder = Files.createTempDirectory("gatehouse-it-plugins-");
        try {
            Path jar = Stack.headerStampJar();
            Files.copy(jar, folder.resolve(jar.getFileName()));
            buildOtherStampJar(folder.resolve("other-stamp.jar"));

            List<String> errors = loadWithPlugins(folder);

            assertThat(errors).containsExactly("two processor factories have the id 'header-stamp': " + FACTORY
                    + " and " + OTHER_FACTORY + "; remove one of the jars or rename one id");
        } finally {
            Stack.deleteRecursively(folder);
        }
    }

    /** Loads the stack's config with {@code plugins.directory} pointed at {@code folder}, as serve would. */
    private static List<String> loadWithPlugins(Path folder) throws Exception {
        Path config = Files.createTempDirectory("gatehouse-it-dup-config-");
        try {
            Stack.copyRecursively(stack.configDirectory, config);
            Path gateway = config.resolve("gateway.yaml");
            String text = Files.readString(gateway);
            String line = "directory: " + Stack.pluginsDirectoryProperty();
            assertThat(text).contains(line);
            Files.writeString(gateway, text.replace(line, "directory: " + folder));

            GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, name -> null);

            assertThat(loaded.config()).as("a config that must not start").isNull();
            return loaded.errors();
        } finally {
            Stack.deleteRecursively(config);
        }
    }

    private static final String OTHER_FACTORY = "io.gatehouse.it.otherstamp.OtherStampFactory";
    private static final String OTHER_SOURCE = """
            package io.gatehouse.it.otherstamp;

            import io.gatehouse.spi.EndpointContext;
            import io.gatehouse.spi.GatewayProcessor;
            import io.gatehouse.spi.Phase;
            import io.gatehouse.spi.ProcessorFactory;

            /** A second plugin that claims the id header-stamp. */
            public final class OtherStampFactory implements ProcessorFactory<OtherStampFactory.Config> {
                public record Config(String name) {
                }

                @Override
                public String id() {
                    return "header-stamp";
                }

                @Override
                public Class<Config> configType() {
                    return Config.class;
                }

                @Override
                public Phase phase() {
                    return Phase.TRANSFORM;
                }

                @Override
                public GatewayProcessor create(Config config, EndpointContext endpoint) {
                    return new GatewayProcessor() {
                    };
                }
            }
            """;

    /** Compiles {@link #OTHER_SOURCE} against the SPI on the test classpath and jars it with its service file. */
    private static void buildOtherStampJar(Path jar) throws Exception {
        Path work = Files.createTempDirectory("gatehouse-it-other-stamp-");
        try {
            Path source = Stack.write(work.resolve("src/io/gatehouse/it/otherstamp/OtherStampFactory.java"), OTHER_SOURCE);
            Path classes = Files.createDirectories(work.resolve("classes"));
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            assertThat(javac).as("a JDK with javac").isNotNull();
            StringWriter diagnostics = new StringWriter();
            boolean compiled = javac.getTask(diagnostics, null, null, List.of("--release", "17", "-d", classes.toString(),
                            "-classpath", System.getProperty("java.class.path")), null,
                    javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile())).call();
            assertThat(compiled).as("compiling the second plugin: %s", diagnostics).isTrue();
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(classes)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                    out.write(Files.readAllBytes(file));
                    out.closeEntry();
                }
                out.putNextEntry(new JarEntry("META-INF/services/" + ProcessorFactory.class.getName()));
                out.write((OTHER_FACTORY + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        } finally {
            Stack.deleteRecursively(work);
        }
    }
}

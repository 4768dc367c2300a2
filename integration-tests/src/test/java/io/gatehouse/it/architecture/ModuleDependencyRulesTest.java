package io.gatehouse.it.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction of DESIGN.md's layout, checked on the compiled main classes of every
 * module: the SPI stays JDK-only, only the CLI depends on the gateway runtime, built-ins use only the
 * public SPI.
 */
class ModuleDependencyRulesTest {

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.gatehouse");
    }

    @Test
    void theEngineDependsOnTheSpiTheJdkAndLoggingOnly() {
        classes().that().resideInAPackage("io.gatehouse.engine..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.gatehouse.engine..", "io.gatehouse.spi..",
                        "java..", "org.slf4j..")
                .check(main);
    }

    @Test
    void theSpiDependsOnTheJdkOnly() {
        classes().that().resideInAPackage("io.gatehouse.spi..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.gatehouse.spi..", "java..")
                .check(main);
    }

    @Test
    void nothingButTheCliDependsOnTheGatewayRuntime() {
        noClasses().that().resideOutsideOfPackages("io.gatehouse.gateway..", "io.gatehouse.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.gatehouse.gateway..")
                .check(main);
    }

    @Test
    void nothingDependsOnTheCli() {
        noClasses().that().resideOutsideOfPackage("io.gatehouse.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.gatehouse.cli..")
                .check(main);
    }

    @Test
    void theGatewayRuntimeDependsOnNeitherTheCliNorTheSampleModel() {
        noClasses().that().resideInAPackage("io.gatehouse.gateway..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gatehouse.cli..", "io.gatehouse.samplemodel..")
                .check(main);
    }

    @Test
    void theCliStartsTheSampleModelAsItsOwnProcessAndNeverLoadsIt() {
        noClasses().that().resideInAPackage("io.gatehouse.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.gatehouse.samplemodel..")
                .check(main);
    }

    @Test
    void builtInProcessorsUseThePublicSpiAndNeverTheGatewayConfigAgentOrCamel() {
        noClasses().that().resideInAPackage("io.gatehouse.processors..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gatehouse.gateway..", "io.gatehouse.config..",
                        "io.gatehouse.agent..", "org.apache.camel..")
                .check(main);
    }

    @Test
    void builtInProcessorsReachTheStoreOnlyThroughSpiServicesNeverJdbcFlywayOrH2() {
        noClasses().that().resideInAPackage("io.gatehouse.processors..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gatehouse.store..", "java.sql..", "javax.sql..",
                        "org.flywaydb..", "org.h2..", "com.zaxxer.hikari..", "org.postgresql..")
                .because("built-ins use the SPI's AuditLog, ApprovalService and RateLimitBuckets, as a plugin would")
                .check(main);
    }

    @Test
    void builtInProcessorsKeepNoThreadsExecutorsOrVolatileStateInStaticFields() {
        noFields().that().areStatic().and().areDeclaredInClassesThat().resideInAPackage("io.gatehouse.processors..")
                .should().haveRawType(assignableTo(java.util.concurrent.Executor.class))
                .orShould().haveRawType(assignableTo(Thread.class))
                .orShould().haveRawType(assignableTo(java.util.Timer.class))
                .orShould().haveModifier(com.tngtech.archunit.core.domain.JavaModifier.VOLATILE)
                .because("threads belong to a service or factory with a lifecycle, closed on shutdown")
                .check(main);
    }

    @Test
    void theConfigModuleKnowsNoCamelAndNoRuntimeModule() {
        noClasses().that().resideInAPackage("io.gatehouse.config..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.camel..", "io.gatehouse.gateway..",
                        "io.gatehouse.agent..", "io.gatehouse.processors..", "io.netty..")
                .check(main);
    }

    @Test
    void theAgentDependsOnNeitherTheGatewayNorItsProcessors() {
        noClasses().that().resideInAPackage("io.gatehouse.agent..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gatehouse.gateway..",
                        "io.gatehouse.processors..", "io.gatehouse.config..")
                .check(main);
    }

    @Test
    void theTestkitSeesOnlyTheSpiAndTheEngine() {
        classes().that().resideInAPackage("io.gatehouse.testkit..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.gatehouse.testkit..", "io.gatehouse.spi..",
                        "io.gatehouse.engine..",
                        "java..", "org.junit..", "org.opentest4j..")
                .check(main);
    }

    @Test
    void theSampleModelDependsOnTheJdkAndGrpcOnly() {
        classes().that().resideInAPackage("io.gatehouse.samplemodel..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.gatehouse.samplemodel..",
                        "io.gatehouse.kserve.grpc..", "io.grpc..", "com.google.protobuf..", "java..",
                        "com.sun.net.httpserver..")
                .check(main);
    }
}

package io.gatehouse.it.recording;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store sits beside the SPI: the gateway, the CLI, the built-in processors and the benchmarks
 * use it, so it must use none of them, nor Camel or Netty.
 */
class StoreDependencyRulesTest {

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.gatehouse");
    }

    @Test
    void theStoreDependsOnNoGatewayConfigProcessorAgentCamelOrNetty() {
        noClasses().that().resideInAPackage("io.gatehouse.store..")
                .should().dependOnClassesThat().resideInAnyPackage("io.gatehouse.gateway..", "io.gatehouse.config..",
                        "io.gatehouse.processors..", "io.gatehouse.agent..", "org.apache.camel..", "io.netty..")
                .check(main);
    }
}

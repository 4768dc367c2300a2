package io.gatehouse.cli.policy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The JUnit XML report of a {@code policy test} run, the format CI servers read (Jenkins, GitLab, GitHub
 * test reporters): one {@code testsuite} per expectation file, one {@code testcase} per case, a
 * {@code failure} naming file:line and what differs. Written with the JDK's StAX writer, which escapes.
 */
public final class JUnitReport {

    private JUnitReport() {
    }

    public static void write(Path target, PolicyTests.Run run) throws IOException {
        Map<String, List<PolicyTests.CaseResult>> byFile = new LinkedHashMap<>();
        run.results().forEach(r -> byFile.computeIfAbsent(r.file(), f -> new java.util.ArrayList<>()).add(r));
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(target)) {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuites");
            xml.writeAttribute("name", "gatehouse policy test");
            xml.writeAttribute("tests", Integer.toString(run.results().size()));
            xml.writeAttribute("failures", Long.toString(run.failed()));
            xml.writeAttribute("errors", "0");
            xml.writeAttribute("time", seconds(run.results().stream().mapToLong(PolicyTests.CaseResult::nanos).sum()));
            for (Map.Entry<String, List<PolicyTests.CaseResult>> suite : byFile.entrySet()) {
                List<PolicyTests.CaseResult> cases = suite.getValue();
                xml.writeCharacters("\n  ");
                xml.writeStartElement("testsuite");
                xml.writeAttribute("name", suite.getKey());
                xml.writeAttribute("tests", Integer.toString(cases.size()));
                xml.writeAttribute("failures", Long.toString(cases.stream().filter(c -> !c.passed()).count()));
                xml.writeAttribute("errors", "0");
                xml.writeAttribute("skipped", "0");
                xml.writeAttribute("time", seconds(cases.stream().mapToLong(PolicyTests.CaseResult::nanos).sum()));
                for (PolicyTests.CaseResult c : cases) {
                    xml.writeCharacters("\n    ");
                    xml.writeStartElement("testcase");
                    xml.writeAttribute("classname", suite.getKey());
                    xml.writeAttribute("name", c.name());
                    xml.writeAttribute("file", c.file());
                    xml.writeAttribute("line", Integer.toString(c.line()));
                    xml.writeAttribute("time", seconds(c.nanos()));
                    if (!c.passed()) {
                        xml.writeStartElement("failure");
                        xml.writeAttribute("message", c.where() + ": " + String.join("; ", c.failures()));
                        xml.writeAttribute("type", "PolicyExpectationMismatch");
                        xml.writeCharacters(c.where() + ": " + c.name() + "\n" + String.join("\n", c.failures())
                                + "\ndecided: " + c.actual() + "\n");
                        xml.writeEndElement();
                    } else {
                        xml.writeStartElement("system-out");
                        xml.writeCharacters(c.actual());
                        xml.writeEndElement();
                    }
                    xml.writeEndElement();
                }
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeCharacters("\n");
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write the JUnit report " + target + ": " + e.getMessage(), e);
        }
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
    }
}

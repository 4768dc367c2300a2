package io.gatehouse.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/** Small reads over composed YAML nodes: positions, lookups, and how a node is described in errors. */
final class Nodes {

    private static final int MAX_QUOTED = 60;

    private Nodes() {
    }

    /** 1-based line of the node's start. */
    static int line(Node node) {
        return node.getStartMark().map(m -> m.getLine() + 1).orElse(1);
    }

    /** 1-based column of the node's start. */
    static int column(Node node) {
        return node.getStartMark().map(m -> m.getColumn() + 1).orElse(1);
    }

    /** An empty value: {@code key:}, {@code key: null}, {@code key: ~}. */
    static boolean isNull(Node node) {
        return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
    }

    /** An empty map positioned where {@code at} is: what an empty value binds as where a record is expected. */
    static MappingNode emptyMapAt(Node at) {
        return new MappingNode(Tag.MAP, false, List.of(), FlowStyle.FLOW, at.getStartMark(), at.getEndMark());
    }

    /** The node at a key path through nested maps, if every step is a map holding the key. */
    static Optional<Node> get(Node node, String... keys) {
        Node current = node;
        for (String key : keys) {
            Optional<NodeTuple> entry = entry(current, key);
            if (entry.isEmpty()) {
                return Optional.empty();
            }
            current = entry.get().getValueNode();
        }
        return Optional.ofNullable(current);
    }

    /** The first entry of a map under a key. */
    static Optional<NodeTuple> entry(Node node, String key) {
        if (node instanceof MappingNode map) {
            for (NodeTuple t : map.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return Optional.of(t);
                }
            }
        }
        return Optional.empty();
    }

    /** The text of a non-null scalar. */
    static Optional<String> text(Node node) {
        return node instanceof ScalarNode s && !isNull(s) ? Optional.of(s.getValue()) : Optional.empty();
    }

    /** The scalar keys of a map, in file order; empty when the node is no map. */
    static Optional<List<String>> keys(Node node) {
        if (!(node instanceof MappingNode map)) {
            return Optional.empty();
        }
        List<String> keys = new ArrayList<>();
        for (NodeTuple t : map.getValue()) {
            text(t.getKeyNode()).ifPresent(keys::add);
        }
        return Optional.of(keys);
    }

    /** How an error names what was written: {@code value 'x'}, {@code a list}, {@code a map}. */
    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a map";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (isNull(node)) {
            return "an empty value";
        }
        return "value " + quote(((ScalarNode) node).getValue());
    }

    /** {@code 'text'} on one line, shortened when long, for echoing a (non-secret) value in an error. */
    static String quote(String text) {
        String oneLine = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
        if (oneLine.length() > MAX_QUOTED) {
            oneLine = oneLine.substring(0, MAX_QUOTED) + "...";
        }
        return "'" + oneLine + "'";
    }
}

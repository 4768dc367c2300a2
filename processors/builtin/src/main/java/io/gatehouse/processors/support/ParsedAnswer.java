package io.gatehouse.processors.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import java.util.Arrays;

/**
 * A whole JSON answer as one built-in step handed it on, with the tree it is the text of, so that the next
 * built-in step that reads exactly those bytes takes the tree instead of parsing them again. Masking hands
 * on each answer it read as a tree; the policy step's hidden fields then need no second parse of the same
 * document (that parse was 2 % of the gateway's CPU under the full pipeline at 64 connections).
 *
 * <p>A tree is taken at most once, and only by bytes equal to those it was offered with: a step in between
 * that changed the answer (a plugin, say) makes the next one parse what it actually got. The taker owns the
 * tree and may change it. One per exchange, on the exchange's thread.
 */
public final class ParsedAnswer {

    private static final AttributeKey<ParsedAnswer> KEY =
            AttributeKey.of("gatehouse.builtin.parsed-answer", ParsedAnswer.class);

    private byte[] bytes;
    private JsonNode tree;

    private ParsedAnswer() {
    }

    /** The exchange's holder, made on first use. */
    public static ParsedAnswer of(Attributes attributes) {
        ParsedAnswer held = attributes.get(KEY).orElse(null);
        if (held == null) {
            held = new ParsedAnswer();
            attributes.put(KEY, held);
        }
        return held;
    }

    /**
     * The holder an earlier built-in step made for this exchange, or null: a step whose transformer runs
     * before the one that would offer a tree has nothing to take.
     */
    public static ParsedAnswer existing(Attributes attributes) {
        return attributes.get(KEY).orElse(null);
    }

    /** {@code tree} is what {@code bytes} parse to; the caller no longer changes either. */
    public void offer(byte[] bytes, JsonNode tree) {
        this.bytes = bytes;
        this.tree = tree;
    }

    /** The tree offered with bytes equal to {@code answer}, once; otherwise null (parse it yourself). */
    public JsonNode take(byte[] answer) {
        JsonNode taken = bytes != null && Arrays.equals(bytes, answer) ? tree : null;
        bytes = null;
        tree = null;
        return taken;
    }
}

package io.gatehouse.store.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** An entry's hash is what every chain already stored was hashed with: it must never change. */
class HashesTest {

    @Test
    void anEntryHashIsTheDigestOfTheCanonicalArrayAsTheTreeWroteIt() {
        SplittableRandom random = new SplittableRandom(11);
        String[] odd = {"", "caf\u00e9", "quote\"back\\slash", "line\nbreak\ttab", "\u0001\u001f", "\u2028 \ud83d\ude00",
                "r-1", "chat/completions"};
        for (int i = 0; i < 500; i++) {
            String replica = odd[random.nextInt(odd.length)];
            long seq = random.nextLong();
            String type = odd[random.nextInt(odd.length)];
            String recordId = odd[random.nextInt(odd.length)] + i;
            long time = random.nextLong();
            String endpoint = odd[random.nextInt(odd.length)];
            String digest = Hashes.sha256Hex("p" + i);
            String prev = i == 0 ? Hashes.GENESIS : Hashes.sha256Hex("q" + i);

            assertThat(Hashes.entryHash(replica, seq, type, recordId, time, endpoint, digest, prev))
                    .isEqualTo(asTree(replica, seq, type, recordId, time, endpoint, digest, prev));
        }
    }

    @Test
    void aKnownEntryKeepsItsKnownHash() {
        // Pinned once from the tree-based encoding: ["gatehouse-audit-v1","r-1",1,"start","rec-1",5,"chat",d,p].
        String digest = Hashes.sha256Hex("{}");
        String expected = Hashes.sha256Hex("[\"gatehouse-audit-v1\",\"r-1\",1,\"start\",\"rec-1\",5,\"chat\",\""
                + digest + "\",\"" + Hashes.GENESIS + "\"]");

        assertThat(Hashes.entryHash("r-1", 1, "start", "rec-1", 5, "chat", digest, Hashes.GENESIS)).isEqualTo(expected);
    }

    /** The encoding every earlier release used: an ArrayNode written by CanonicalJson. */
    private static String asTree(String replica, long seq, String type, String recordId, long time, String endpoint,
                                 String digest, String prev) {
        ArrayNode a = CanonicalJson.MAPPER.createArrayNode();
        a.add(Hashes.VERSION).add(replica).add(seq).add(type).add(recordId).add(time).add(endpoint).add(digest)
                .add(prev);
        return Hashes.sha256Hex(CanonicalJson.write(a));
    }
}

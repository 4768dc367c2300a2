package io.gatehouse.spi.breakglass;

import io.gatehouse.spi.approval.Person;
import java.time.Instant;

/**
 * A window one person opened to break glass: while it is open (not closed, before {@code expiresAt}), their
 * requests with a justification may bypass rules marked {@code breakGlass: true}.
 *
 * @param id        {@code bg-…}
 * @param opener    who opened it (only they may use it)
 * @param reason    why, as given to {@code gatehouse break-glass open --reason}
 * @param openedAt  when
 * @param expiresAt when it closes by itself
 * @param closedAt  when its opener closed it, else null
 */
public record BreakGlassWindow(String id, Person opener, String reason, Instant openedAt, Instant expiresAt,
                               Instant closedAt) {

    public boolean openAt(Instant now) {
        return closedAt == null && now.isBefore(expiresAt);
    }
}

/**
 * Approvals for plugins: the {@link io.gatehouse.spi.approval.ApprovalService} a step finds in the
 * gateway's services, and the records it speaks in (a held {@link io.gatehouse.spi.approval.ApprovalRequest},
 * the stored {@link io.gatehouse.spi.approval.Approval}, a retry's {@link io.gatehouse.spi.approval.UseResult},
 * the {@link io.gatehouse.spi.approval.ApprovalEvent}s listeners are told of). JDK only.
 */
package io.gatehouse.spi.approval;

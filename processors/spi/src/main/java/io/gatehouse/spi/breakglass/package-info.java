/**
 * Break-glass: members of configured groups may bypass policy rules marked {@code breakGlass: true}, with
 * a justification on each request, while a window they opened explicitly is open; each use is recorded and
 * waits in a review queue for an approver's acknowledgement.
 */
package io.gatehouse.spi.breakglass;

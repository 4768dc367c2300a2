package io.gatehouse.testkit;

import io.gatehouse.spi.Phase;

/** The processor the harness is running on an exchange: its factory id and phase, and its endpoint. */
record Step(String id, Phase phase, String endpointId) {

    /** The prefix of every contract-violation message: {@code processor 'x' on endpoint 'y'}. */
    String name() {
        return "processor '" + id + "' on endpoint '" + endpointId + "'";
    }
}

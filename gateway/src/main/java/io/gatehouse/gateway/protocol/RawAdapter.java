package io.gatehouse.gateway.protocol;

import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;

/** Any HTTP: nothing is interpreted; path, method and size rules still apply. */
public final class RawAdapter implements ProtocolAdapter {

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public Operation parse(GatewayRequest request) {
        return Operation.raw(name());
    }
}

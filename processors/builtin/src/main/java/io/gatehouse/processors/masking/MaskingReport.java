package io.gatehouse.processors.masking;

import java.util.Map;

/**
 * What masking did to one exchange, for the audit record: how many values each detector masked in the
 * request and in the response (never the values). Found in the exchange's attributes under
 * {@link MaskingProcessor#REPORT}. For a stream the response counts grow as it passes and are final once
 * it has ended; for a whole body they equal the {@code Gatehouse-Masked} header.
 *
 * @param request  masked values per detector id in the request (empty when request masking is off)
 * @param response masked values per detector id in the response
 * @param exempt   true when the caller's group exempted it: nothing was masked
 */
public record MaskingReport(Map<String, Integer> request, Map<String, Integer> response, boolean exempt) {

    public MaskingReport {
        request = Map.copyOf(request);
        response = Map.copyOf(response);
    }

    static final MaskingReport EXEMPT = new MaskingReport(Map.of(), Map.of(), true);

    public int requestTotal() {
        return request.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int responseTotal() {
        return response.values().stream().mapToInt(Integer::intValue).sum();
    }
}

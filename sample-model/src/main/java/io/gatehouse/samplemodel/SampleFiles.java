package io.gatehouse.samplemodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The files and batches of one sample model, in memory: enough for a real batch-job flow in tests and the demo. */
final class SampleFiles {

    /** An uploaded (or produced) file. */
    record StoredFile(String id, String filename, String purpose, byte[] content, long createdAt) {
        Map<String, Object> json() {
            return Json.object("id", id, "object", "file", "bytes", content.length, "created_at", createdAt,
                    "filename", filename, "purpose", purpose, "status", "processed", "status_details", null);
        }
    }

    /** Most files kept; the oldest go first. */
    static final int MAX_FILES = 1000;

    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> batches = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    String nextId(String prefix) {
        return prefix + String.format("%06d", ids.incrementAndGet()) + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    StoredFile add(String filename, String purpose, byte[] content) {
        if (files.size() >= MAX_FILES) {
            files.values().stream().min(java.util.Comparator.comparingLong(StoredFile::createdAt))
                    .ifPresent(oldest -> files.remove(oldest.id()));
        }
        StoredFile f = new StoredFile(nextId("file-"), filename, purpose, content, ServerContext.now());
        files.put(f.id(), f);
        return f;
    }

    StoredFile file(String id) {
        StoredFile f = files.get(id);
        if (f == null) {
            throw new ApiException(404, ApiException.INVALID_REQUEST, "not_found", "file_id",
                    "No such File object: " + id);
        }
        return f;
    }

    List<Map<String, Object>> fileList() {
        List<Map<String, Object>> list = new ArrayList<>();
        files.values().stream().sorted(java.util.Comparator.comparingLong(StoredFile::createdAt).reversed()
                .thenComparing(StoredFile::id)).forEach(f -> list.add(f.json()));
        return list;
    }

    void putBatch(Map<String, Object> batch) {
        batches.put((String) batch.get("id"), batch);
    }

    Map<String, Object> batch(String id) {
        Map<String, Object> b = batches.get(id);
        if (b == null) {
            throw new ApiException(404, ApiException.INVALID_REQUEST, "not_found", "batch_id",
                    "No such Batch object: " + id);
        }
        return b;
    }

    List<Map<String, Object>> batchList() {
        List<Map<String, Object>> list = new ArrayList<>(batches.values());
        list.sort(java.util.Comparator.comparing(b -> -((Number) b.get("created_at")).longValue()));
        return list;
    }
}

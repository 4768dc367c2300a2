package io.gatehouse.processors.masking;

import io.gatehouse.spi.ChunkTransformer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;

/**
 * Masks a text body chunk by chunk with one {@link TextStream}: bytes are decoded in the body's charset
 * (a character split across chunks waits for its last byte), and bytes that are not text in that charset
 * end the stream (fail closed).
 */
final class TextMasking implements ChunkTransformer {

    private final TextStream text;
    private final Charset charset;
    private final CharsetDecoder decoder;
    private final Runnable progress;
    private ByteBuffer leftover = ByteBuffer.allocate(0);

    TextMasking(Masker masker, Charset charset, MaskingCounts counts, Runnable progress) {
        this.text = masker.textStream(counts);
        this.charset = charset;
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        this.progress = progress;
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        ByteBuffer in = ByteBuffer.allocate(leftover.remaining() + chunk.length);
        in.put(leftover).put(chunk).flip();
        CharBuffer chars = CharBuffer.allocate((int) (in.remaining() * (double) decoder.maxCharsPerByte()) + 4);
        CoderResult result = decoder.decode(in, chars, false);
        if (result.isError()) {
            throw notText();
        }
        leftover = in.slice();
        chars.flip();
        String out = text.push(chars);
        progress.run();
        return out.isEmpty() ? EMPTY : out.getBytes(charset);
    }

    @Override
    public byte[] onEnd() {
        CharBuffer chars = CharBuffer.allocate(leftover.remaining() * 2 + 4);
        CoderResult result = decoder.decode(leftover, chars, true);
        if (result.isError() || decoder.flush(chars).isError() || leftover.hasRemaining()) {
            throw notText();
        }
        chars.flip();
        String out = text.push(chars) + text.finish();
        progress.run();
        return out.isEmpty() ? EMPTY : out.getBytes(charset);
    }

    private MaskingException notText() {
        return new MaskingException("the body is not " + charset.name() + " text, so it cannot be masked");
    }

    /** Decodes a whole text body (for bodies masked before the head is sent). */
    static String decodeWhole(byte[] bytes, Charset charset) {
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MaskingException("the body is not " + charset.name() + " text, so it cannot be masked");
        }
    }
}

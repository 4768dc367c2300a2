package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WordsTest {

    @Test
    void splitsIntoOnePiecePerWordThatConcatenateBackToTheExactText() {
        String text = "You said:  hello\n\tworld  ";

        assertThat(Words.split(text)).containsExactly("You", " said:", "  hello", "\n\tworld  ");
        assertThat(String.join("", Words.split(text))).isEqualTo(text);
        assertThat(Words.count(text)).isEqualTo(4);
    }

    @Test
    void aPrefixOfThePiecesIsTheTextCutAfterThatManyWords() {
        assertThat(String.join("", Words.split(" a b c ").subList(0, 2))).isEqualTo(" a b");
    }

    @Test
    void emptyAndBlankTextsHaveNoWords() {
        assertThat(Words.split("")).isEmpty();
        assertThat(Words.count("")).isZero();
        assertThat(Words.count(" \n ")).isZero();
    }

    @Test
    void choiceTruncatedByMaxTokensReportsLength() {
        Choice cut = Choice.of(0, "You said: one two", 3);
        Choice whole = Choice.of(1, "You said: one two", 4);

        assertThat(cut.text()).isEqualTo("You said: one");
        assertThat(cut.finishReason()).isEqualTo("length");
        assertThat(whole.text()).isEqualTo("You said: one two");
        assertThat(whole.finishReason()).isEqualTo("stop");
        assertThat(whole.completionTokens()).isEqualTo(4);
    }
}

package io.gatehouse.processors.masking;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.commons.validator.routines.EmailValidator;
import org.apache.commons.validator.routines.IBANValidator;
import org.apache.commons.validator.routines.InetAddressValidator;
import org.apache.commons.validator.routines.checkdigit.LuhnCheckDigit;

/** The checks that keep false positives down, one per built-in detector. Stateless and thread-safe. */
final class Validators {

    private static final EmailValidator EMAIL = EmailValidator.getInstance(false, false);
    private static final IBANValidator IBAN = IBANValidator.getInstance();
    private static final InetAddressValidator INET = InetAddressValidator.getInstance();
    private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();
    /** SSNs the SSA calls invalid although they look well formed (advertising and misuse). */
    private static final Set<String> INVALID_SSNS = Set.of("078051120", "219099999", "123456789");
    /** A date at the start of a phone candidate: 2000-04-16, 16.04.2000, 4/16/2000. */
    private static final Pattern DATE_PREFIX = Pattern.compile(
            "\\d{4}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\\d|3[01])(?!\\d)"
            + "|(?:0?[1-9]|[12]\\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)\\d{2}(?!\\d)"
            + "|(?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\\d|3[01])[-./](?:19|20)\\d{2}(?!\\d)");
    /** How far before a weakly formatted phone number a word saying it is one may stand. */
    static final int PHONE_CONTEXT = 48;
    private static final Pattern PHONE_WORDS = Pattern.compile("(?i)(?<![a-z])(?:phones?|telephone|cellphone|mobile"
            + "|cell|tel|call(?:ed|ing|s)?|fax|desk|contact|whatsapp|sms|text|reach|dial|ring|answer(?:ing)?"
            + "|messages?|hotline|registered)(?![a-z])");

    private Validators() {
    }

    // ---- email ----

    static int email(CharSequence text, int start, int end) {
        return EMAIL.isValid(text.subSequence(start, end).toString()) ? end : -1;
    }

    // ---- payment cards ----

    static int card(CharSequence text, int start, int end) {
        String digits = digits(text, start, end);
        int n = digits.length();
        if (n < 12 || n > 19 || allSame(digits) || !LuhnCheckDigit.LUHN_CHECK_DIGIT.isValid(digits)) {
            return -1;
        }
        return knownIssuer(digits) ? end : -1;
    }

    /** Known issuer prefixes (IIN ranges) and the lengths each issues. */
    static boolean knownIssuer(String d) {
        int n = d.length();
        int p2 = Integer.parseInt(d.substring(0, 2));
        int p3 = Integer.parseInt(d.substring(0, 3));
        int p4 = Integer.parseInt(d.substring(0, 4));
        int p6 = Integer.parseInt(d.substring(0, 6));
        if (d.charAt(0) == '4') {
            return n == 13 || n == 16 || n == 19; // Visa
        }
        if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) {
            return n == 16; // Mastercard
        }
        if (p2 == 34 || p2 == 37) {
            return n == 15; // American Express
        }
        if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) {
            return n >= 16; // Discover
        }
        if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) {
            return n >= 14; // Diners Club
        }
        if (p4 >= 3528 && p4 <= 3589) {
            return n >= 16; // JCB
        }
        if (p4 == 2131 || p4 == 1800) {
            return n == 15; // JCB (15 digits)
        }
        if (p4 >= 2200 && p4 <= 2204) {
            return n >= 16; // Mir
        }
        if (p2 == 62 || p2 == 81) {
            return n >= 16; // UnionPay
        }
        return p2 == 50 || (p2 >= 56 && p2 <= 69); // Maestro, 12 to 19 digits
    }

    // ---- IBAN ----

    /**
     * Accepts the IBAN that starts the candidate: its country's length (the candidate may have run on into
     * a following word), mod-97 check digits and national format, ending at a group boundary.
     */
    static int iban(CharSequence text, int start, int end) {
        String country = text.subSequence(start, start + 2).toString().toUpperCase(Locale.ROOT);
        IBANValidator.Validator format = IBAN.getValidator(country);
        if (format == null) {
            return -1;
        }
        int length = format.getIbanLength();
        StringBuilder normal = new StringBuilder(length);
        int i = start;
        while (i < end && normal.length() < length) {
            char c = text.charAt(i++);
            if (c != ' ') {
                normal.append(Character.toUpperCase(c));
            }
        }
        if (normal.length() < length || (i < end && text.charAt(i) != ' ')) {
            return -1;
        }
        return IBAN.isValid(normal.toString()) ? i : -1;
    }

    // ---- US SSN ----

    /** Area 001–899 except 666, group 01–99, serial 0001–9999; not all one digit; not a known invalid number. */
    static int ssn(CharSequence text, int start, int end) {
        String d = digits(text, start, end);
        if (d.length() != 9 || allSame(d) || INVALID_SSNS.contains(d)) {
            return -1;
        }
        int area = Integer.parseInt(d.substring(0, 3));
        int group = Integer.parseInt(d.substring(3, 5));
        int serial = Integer.parseInt(d.substring(5));
        boolean valid = area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
        return valid ? end : -1;
    }

    // ---- IP addresses ----

    static int ipv4(CharSequence text, int start, int end) {
        String candidate = text.subSequence(start, end).toString();
        int slash = candidate.indexOf('/');
        return INET.isValidInet4Address(slash < 0 ? candidate : candidate.substring(0, slash)) ? end : -1;
    }

    /** A valid IPv6 address with at least two non-empty groups (so {@code ::} and {@code ::1} are left alone). */
    static int ipv6(CharSequence text, int start, int end) {
        String candidate = text.subSequence(start, end).toString();
        int cut = candidate.length();
        for (char stop : new char[] {'%', '/'}) {
            int at = candidate.indexOf(stop);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        String address = candidate.substring(0, cut);
        int groups = 0;
        for (String g : address.split(":")) {
            if (!g.isEmpty()) {
                groups++;
            }
        }
        return groups >= 2 && INET.isValidInet6Address(address) ? end : -1;
    }

    // ---- phone numbers ----

    /**
     * A number libphonenumber calls valid in one of {@code regions} (or anywhere when written with
     * {@code +country}). Dates are rejected. A weakly formatted number — no
     * {@code +country}, no parenthesised area code, fewer than three groups of digits, like "451 5986" or
     * "4155552671" — also needs a word such as "phone", "call" or "mobile" at most {@link #PHONE_CONTEXT}
     * characters before it, since house numbers, zip codes and ids look the same.
     */
    static int phone(CharSequence text, int start, int end, List<String> regions) {
        String candidate = text.subSequence(start, end).toString();
        int digits = phoneDigits(candidate);
        if (digits < 7 || digits > 15 || DATE_PREFIX.matcher(candidate).lookingAt()) {
            return -1;
        }
        boolean valid = (strongFormat(candidate) || saysPhone(text, start)) && validPhone(candidate, regions);
        return valid ? end : -1;
    }

    /** Written with +country, a parenthesised area code, or three or more groups of digits. */
    static boolean strongFormat(String candidate) {
        if (candidate.startsWith("+") || candidate.indexOf('(') >= 0) {
            return true;
        }
        int groups = 0;
        boolean inDigits = false;
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c == 'x' || c == 'e' || c == '#') {
                break;
            }
            boolean digit = c >= '0' && c <= '9';
            if (digit && !inDigits) {
                groups++;
            }
            inDigits = digit;
        }
        return groups >= 3;
    }

    private static boolean saysPhone(CharSequence text, int start) {
        return PHONE_WORDS.matcher(text).region(Math.max(0, start - PHONE_CONTEXT), start).find();
    }

    static boolean validPhone(String candidate, List<String> regions) {
        if (candidate.startsWith("+")) {
            return valid(candidate, "ZZ");
        }
        for (String region : regions) {
            if (valid(candidate, region)) {
                return true;
            }
        }
        return false;
    }

    private static boolean valid(String candidate, String region) {
        try {
            Phonenumber.PhoneNumber number = PHONES.parse(candidate, region);
            return PHONES.isValidNumber(number);
        } catch (NumberParseException e) {
            return false;
        }
    }

    /** Digits before any extension marker. */
    private static int phoneDigits(String candidate) {
        int n = 0;
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c == 'x' || c == 'e' || c == '#') {
                break;
            }
            if (c >= '0' && c <= '9') {
                n++;
            }
        }
        return n;
    }

    // ---- secrets ----

    /** At least two digits and two letters in the key's body, so kebab-case words are not keys. */
    static int randomLooking(CharSequence text, int start, int end) {
        int digits = 0;
        int letters = 0;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (Character.isLetter(c)) {
                letters++;
            }
        }
        return digits >= 2 && letters >= 2 ? end : -1;
    }

    // ---- helpers ----

    static String digits(CharSequence text, int start, int end) {
        StringBuilder d = new StringBuilder(end - start);
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                d.append(c);
            }
        }
        return d.toString();
    }

    private static boolean allSame(String digits) {
        for (int i = 1; i < digits.length(); i++) {
            if (digits.charAt(i) != digits.charAt(0)) {
                return false;
            }
        }
        return true;
    }
}

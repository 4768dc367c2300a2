package io.gatehouse.processors.masking;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.apache.commons.validator.routines.checkdigit.LuhnCheckDigit;

/**
 * Valid PII values of every built-in kind, made from a fixed seed: Luhn-valid card numbers of each issuer,
 * mod-97-valid IBANs of several countries, libphonenumber's example numbers in three formats, SSNs in the
 * valid ranges, IPv4 and IPv6 addresses, emails and credentials. Each value is one the default detectors
 * mask (a test checks that).
 */
final class PiiSamples {

    /** A value and the detector that masks it. */
    record Sample(String detector, String value) {
    }

    private PiiSamples() {
    }

    static List<Sample> all() {
        Random random = new Random(20251129L);
        List<Sample> all = new ArrayList<>();
        cards(random, all);
        ibans(random, all);
        phones(all);
        emails(random, all);
        ssns(random, all);
        ips(random, all);
        secrets(random, all);
        return all;
    }

    private static void cards(Random random, List<Sample> out) {
        String[][] issuers = {{"4", "16"}, {"4", "13"}, {"4", "19"}, {"51", "16"}, {"55", "16"}, {"2221", "16"},
                {"2720", "16"}, {"34", "15"}, {"37", "15"}, {"6011", "16"}, {"65", "16"}, {"300", "14"}, {"36", "14"},
                {"3528", "16"}, {"3589", "16"}, {"62", "16"}, {"50", "12"}, {"6304", "16"}, {"2131", "15"},
                {"1800", "15"}};
        for (String[] issuer : issuers) {
            String number = luhn(issuer[0], Integer.parseInt(issuer[1]), random);
            out.add(new Sample(Detectors.CREDIT_CARD, number));
            if (number.length() == 16) {
                out.add(new Sample(Detectors.CREDIT_CARD, group(number, " ", 4, 4, 4, 4)));
                out.add(new Sample(Detectors.CREDIT_CARD, group(number, "-", 4, 4, 4, 4)));
            } else if (number.length() == 15) {
                out.add(new Sample(Detectors.CREDIT_CARD, group(number, " ", 4, 6, 5)));
            }
        }
    }

    private static String luhn(String prefix, int length, Random random) {
        StringBuilder digits = new StringBuilder(prefix);
        while (digits.length() < length - 1) {
            digits.append(random.nextInt(10));
        }
        try {
            return digits + LuhnCheckDigit.LUHN_CHECK_DIGIT.calculate(digits.toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void ibans(Random random, List<Sample> out) {
        // country, BBAN shape: a = upper-case letter, n = digit
        String[][] countries = {{"GB", "aaaannnnnnnnnnnnnn"}, {"DE", "nnnnnnnnnnnnnnnnnn"}, {"FR", "nnnnnnnnnnnnnnnnnnnnnnn"},
                {"NL", "aaaannnnnnnnnn"}, {"ES", "nnnnnnnnnnnnnnnnnnnn"}, {"IT", "annnnnnnnnnnnnnnnnnnnnn"},
                {"CH", "nnnnnnnnnnnnnnnnn"}, {"BE", "nnnnnnnnnnnn"}, {"AT", "nnnnnnnnnnnnnnnn"},
                {"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"}};
        for (String[] country : countries) {
            for (int i = 0; i < 3; i++) {
                StringBuilder bban = new StringBuilder();
                for (char c : country[1].toCharArray()) {
                    bban.append(c == 'a' ? (char) ('A' + random.nextInt(26)) : (char) ('0' + random.nextInt(10)));
                }
                String iban = country[0] + checkDigits(country[0], bban.toString()) + bban;
                out.add(new Sample(Detectors.IBAN, i == 1 ? grouped(iban) : iban));
            }
        }
    }

    private static String checkDigits(String country, String bban) {
        String rearranged = bban + country + "00";
        StringBuilder numeric = new StringBuilder();
        for (char c : rearranged.toCharArray()) {
            numeric.append(Character.isLetter(c) ? Integer.toString(c - 'A' + 10) : String.valueOf(c));
        }
        int check = 98 - new BigInteger(numeric.toString()).mod(BigInteger.valueOf(97)).intValue();
        return String.format("%02d", check);
    }

    private static String grouped(String iban) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < iban.length(); i += 4) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(iban, i, Math.min(iban.length(), i + 4));
        }
        return out.toString();
    }

    private static void phones(List<Sample> out) {
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        for (String region : MaskingConfig.DEFAULT_PHONE_REGIONS) {
            for (PhoneNumberUtil.PhoneNumberType type : new PhoneNumberUtil.PhoneNumberType[] {
                    PhoneNumberUtil.PhoneNumberType.FIXED_LINE, PhoneNumberUtil.PhoneNumberType.MOBILE}) {
                Phonenumber.PhoneNumber number = util.getExampleNumberForType(region, type);
                out.add(new Sample(Detectors.PHONE, util.format(number, PhoneNumberUtil.PhoneNumberFormat.INTERNATIONAL)));
                out.add(new Sample(Detectors.PHONE, util.format(number, PhoneNumberUtil.PhoneNumberFormat.NATIONAL)));
                out.add(new Sample(Detectors.PHONE, util.format(number, PhoneNumberUtil.PhoneNumberFormat.E164)));
            }
        }
    }

    private static void emails(Random random, List<Sample> out) {
        String[] locals = {"alice", "bob.smith", "j.doe+news", "first_last", "x", "mary-jane", "o'neil"};
        String[] domains = {"example.com", "mail.example.co.uk", "uni-bonn.de", "corp.io", "post.museum",
                "a.b.c.example.org"};
        for (int i = 0; i < 24; i++) {
            String local = locals[i % locals.length].replace("'", "") + (i >= locals.length ? Integer.toString(i) : "");
            out.add(new Sample(Detectors.EMAIL, local + "@" + domains[random.nextInt(domains.length)]));
        }
    }

    private static void ssns(Random random, List<Sample> out) {
        String[] separators = {"-", " ", "."};
        for (int i = 0; i < 21; i++) {
            int area = 1 + random.nextInt(898);
            if (area == 666) {
                area = 667;
            }
            String s = separators[i % 3];
            out.add(new Sample(Detectors.US_SSN, String.format("%03d%s%02d%s%04d", area, s, 1 + random.nextInt(99), s,
                    1 + random.nextInt(9999))));
        }
    }

    private static void ips(Random random, List<Sample> out) {
        for (int i = 0; i < 15; i++) {
            out.add(new Sample(Detectors.IP_ADDRESS, (1 + random.nextInt(254)) + "." + random.nextInt(256) + "."
                    + random.nextInt(256) + "." + random.nextInt(256)));
        }
        for (int i = 0; i < 10; i++) {
            StringBuilder v6 = new StringBuilder();
            for (int g = 0; g < 8; g++) {
                v6.append(g == 0 ? "" : ":").append(Integer.toHexString(0x1000 + random.nextInt(0xefff)));
            }
            out.add(new Sample(Detectors.IP_ADDRESS, v6.toString()));
        }
        out.add(new Sample(Detectors.IP_ADDRESS, "2001:db8::8a2e:370:7334"));
        out.add(new Sample(Detectors.IP_ADDRESS, "fe80::1ff:fe23:4567:890a"));
        out.add(new Sample(Detectors.IP_ADDRESS, "10.0.0.0/8"));
    }

    private static void secrets(Random random, List<Sample> out) {
        out.add(new Sample(Detectors.SECRET, "sk-proj-" + token(random, 48)));
        out.add(new Sample(Detectors.SECRET, "sk-" + token(random, 48)));
        out.add(new Sample(Detectors.SECRET, "sk-ant-api03-" + token(random, 40)));
        out.add(new Sample(Detectors.SECRET, "AKIA" + upper(random, 16)));
        out.add(new Sample(Detectors.SECRET, "ASIA" + upper(random, 16)));
        out.add(new Sample(Detectors.SECRET, "ghp_" + alnum(random, 36)));
        out.add(new Sample(Detectors.SECRET, "github_pat_" + alnum(random, 22) + "_" + alnum(random, 59)));
        out.add(new Sample(Detectors.SECRET, "xoxb-1234567890-0987654321-" + alnum(random, 24)));
        out.add(new Sample(Detectors.SECRET, "AIza" + alnum(random, 35)));
        out.add(new Sample(Detectors.SECRET, "sk_live_" + alnum(random, 24)));
        out.add(new Sample(Detectors.SECRET, jwt(random)));
        out.add(new Sample(Detectors.SECRET, "-----BEGIN PRIVATE KEY-----\n" + base64(random, 64) + "\n"
                + base64(random, 20) + "\n-----END PRIVATE KEY-----"));
        out.add(new Sample(Detectors.SECRET, "-----BEGIN OPENSSH PRIVATE KEY-----\n" + base64(random, 48)
                + "\n-----END OPENSSH PRIVATE KEY-----"));
    }

    private static String jwt(Random random) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes());
        String payload = b64.encodeToString(("{\"sub\":\"" + alnum(random, 10) + "\",\"iat\":1700000000}").getBytes());
        return header + "." + payload + "." + token(random, 43);
    }

    private static String token(Random random, int n) {
        return pick(random, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", true);
    }

    private static String alnum(Random random, int n) {
        return pick(random, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", true);
    }

    private static String upper(Random random, int n) {
        return pick(random, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", false);
    }

    private static String base64(Random random, int n) {
        return pick(random, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", false);
    }

    /** Random characters; with {@code mixed}, the first four are two letters and two digits. */
    private static String pick(Random random, int n, String alphabet, boolean mixed) {
        StringBuilder s = new StringBuilder(n);
        if (mixed) {
            s.append("aZ19");
        }
        while (s.length() < n) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    private static String group(String digits, String separator, int... sizes) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        for (int size : sizes) {
            if (at > 0) {
                out.append(separator);
            }
            out.append(digits, at, at + size);
            at += size;
        }
        return out.toString();
    }
}

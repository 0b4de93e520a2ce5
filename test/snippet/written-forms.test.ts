/**
 * How a tracking number is written in place of its destination, through the worker's pattern and
 * pairs (shared/pattern.ts, shared/pairs.ts findings, with the worker's trunk prefixes) and the
 * snippet's own find and write: the text around the number kept, the tracking number in its own
 * groups.
 */
import { describe, expect, it } from "vitest";
import { findings } from "../../shared/pairs";
import { phoneParts } from "../../shared/phone";
import { dialTrunk } from "../../worker/domain/trunk";
import { pool, swappedFor as swapped, swapped as swappedPools } from "./swap";

const LONDON = "+442079460958";
const US = "+12125550123";

describe("a parenthesis the number is written in", () => {
  it("stays when the tracking number is written in its national form (it was taken with the number, leaving the closing one alone)", () => {
    // Another country's number.
    expect(swapped(LONDON, US, "Call us (020 7946 0958) today")).toBe("Call us ((212) 555-0123) today");
    expect(swapped(LONDON, US, "Call us (+44 20 7946 0958).")).toBe("Call us ((212) 555-0123).");
    // A tracking number of one group (Turkey's 444 numbers).
    expect(swapped("+902123456789", "+904441444", "Tel (0212 345 67 89)")).toBe("Tel (4441444)");
    // The `+61 (0)2` style with a 1800 number: its international form.
    expect(swapped("+61298765432", "+611800123456", "Tel. (+61 (0)2 9876 5432)")).toBe("Tel. (+61 1800 123 456)");
    // At the start of a text and before a border between text nodes.
    expect(swapped(LONDON, US, "(020 7946 0958)")).toBe("((212) 555-0123)");
    expect(swapped(LONDON, US, "(\x00020 7946 0958)")).toBe("((212) 555-0123\0)");
  });

  it("stays in every other form, and one the number closes is still its own", () => {
    expect(swapped(LONDON, "+442079460111", "Call (020 7946 0958) or (020) 7946 0958")).toBe("Call (020 7946 0111) or (020) 7946 0111");
    expect(swapped(LONDON, "+441614960000", "Call (020 7946 0958) or (020) 7946-0958")).toBe("Call (0161 496 0000) or (0161) 496-0000");
    expect(swapped(LONDON, US, "(+44) 20 7946 0958 or (020) 7946 0958 or +44 (0)20 7946 0958")).toBe("(212) 555-0123 or (212) 555-0123 or (212) 555-0123");
    expect(swapped("+18005550199", "+18005550123", "Call ((800) 555-0199) or (1-800-555-0199)")).toBe("Call ((800) 555-0123) or (1-800-555-0123)");
  });

  it("one the number closes, within twelve characters and before a digit, is the number's; one closing a number of its own is the text's", () => {
    expect(swapped("+441614960000", US, "Tel (+44 161) 496 0000")).toBe("Tel (212) 555-0123");
    expect(swapped("+4930123456", US, "Tel. (0049 30) 123456")).toBe("Tel. (212) 555-0123");
    expect(swapped("+353211234567", US, "Call (+353 21) 123 4567")).toBe("Call (212) 555-0123");
    expect(swapped("+496221123456", US, "Tel. (0049 6221) 123456")).toBe("Tel. (212) 555-0123");
    expect(swapped(LONDON, US, "Tel. (+44) (0)20 7946 0958 or (+44)(0)20 7946 0958")).toBe("Tel. (212) 555-0123 or (212) 555-0123");
    // A short number in parentheses: they are the text's.
    expect(swapped("+4702000", US, "Ring (02000)")).toBe("Ring ((212) 555-0123)");
    // A number after a + that opens a parenthesis it does not close is not one (it was written with the `+(`).
    expect(swapped(LONDON, US, "Call +(020 7946 0958)")).toBe("Call +(020 7946 0958)");
  });

  it("a full-width one around ASCII digits, as Japanese, Chinese and Korean pages write the area code, is the number's", () => {
    expect(swapped("+81312345678", "+81120123456", "電話（03）1234-5678")).toBe("電話（0120）123-456");
    expect(swapped("+81312345678", "+81312345679", "電話（03）1234-5678")).toBe("電話（03）1234-5679");
    expect(swapped("+8222123456", "+8221234567", "전화（02）212-3456")).toBe("전화（02）123-4567");
  });

  it("glued to a label, as Japanese pages write `TEL(03)1234-5678`, is the number's start", () => {
    expect(swapped("+81312345678", "+81312345679", "TEL(03)1234-5678 FAX(03)1234-5670")).toBe("TEL(03)1234-5679 FAX(03)1234-5670");
    expect(swapped("+81312345678", "+819012345678", "TEL（03）1234-5678")).toBe("TEL（090）1234-5678");
    // Not a parenthesis the number does not close (an id's: `ID(02079460958)`), nor glued to a digit.
    expect(swapped(LONDON, US, "ID(02079460958) Order(2079460958)")).toBe("ID(02079460958) Order(2079460958)");
    expect(swapped(LONDON, US, "9(020) 7946 0958")).toBe("9(020) 7946 0958");
  });
});

describe("a trunk prefix written apart from the first group by one number and not the other", () => {
  it("France's toll-free `0 800 12 34 56` and a geographic or mobile number, either way", () => {
    expect(swapped("+33800123456", "+33123456789", "Appelez le 0 800 12 34 56 ou le +33 800 12 34 56")).toBe(
      "Appelez le 01 23 45 67 89 ou le +33 1 23 45 67 89",
    );
    expect(swapped("+33123456789", "+33800123456", "Appelez le 01 23 45 67 89, 01.23.45.67.89 ou +33 1 23 45 67 89")).toBe(
      "Appelez le 0 800 12 34 56, 0.800.12.34.56 ou +33 800 12 34 56",
    );
    // Dotted, as French pages often write them, the trunk prefix apart or not: the page's dots.
    expect(swapped("+33800123456", "+33123456789", "Appelez le 0.800.12.34.56, 0800.12.34.56 ou le +33.800.12.34.56")).toBe(
      "Appelez le 01.23.45.67.89, 01.23.45.67.89 ou le +33.1.23.45.67.89",
    );
    // Written as many French pages do, without the space: the original's style.
    expect(swapped("+33800123456", "+33612345678", "Appelez le 0800 12 34 56")).toBe("Appelez le 06 12 34 56 78");
  });

  it("Armenia's `0 800 12 345` and Belarus's `8 0152 45-09-11`", () => {
    expect(swapped("+37480012345", "+37477123456", "Zangeq 0 800 12 345")).toBe("Zangeq 077 123456");
    expect(swapped("+3758011234567", "+375152450911", "Тел. 8 801 123 4567")).toBe("Тел. 8 0152 45 09 11");
  });
});

describe("a destination of one group (a short number)", () => {
  it("the tracking number in its own groups, spaced, after the original's prefix", () => {
    expect(swapped("+4702000", "+4721234567", "Ring 02000 eller +47 02000")).toBe("Ring 21 23 45 67 eller +47 21 23 45 67");
    expect(swapped("+2488000000", "+2484217123", "Call 8000000")).toBe("Call 4 217 123");
  });
});

describe("after a label's dot", () => {
  it("in Latin, Greek or Cyrillic, glued to the number", () => {
    expect(swapped("+78005553535", "+78001234567", "Тел.8-800-555-35-35")).toBe("Тел.8-800-123-45-67");
    expect(swapped("+302101234567", "+302107654321", "Τηλ.210-1234567")).toBe("Τηλ.210-7654321");
    expect(swapped("+420602123456", "+420602654321", "Mob. č.602 123 456")).toBe("Mob. č.602 654 321");
    expect(swapped("+37410123456", "+37410654321", "Հեռ.010 123456")).toBe("Հեռ.010 654321");
  });

  it("in Hebrew, Arabic, Devanagari, Thai, Korean and Japanese, whose pages the first view's test asks for too (a letter of any script before the dot)", () => {
    expect(swapped("+97231234567", "+97231239999", "טל.03-123-4567")).toBe("טל.03-123-9999");
    expect(swapped("+966112345678", "+966112349999", "هاتف.011 234 5678")).toBe("هاتف.011 234 9999");
    expect(swapped("+911123456789", "+911123459999", "फोन.011 2345 6789")).toBe("फोन.011 2345 9999");
    expect(swapped("+6621234567", "+6621239999", "โทร.02 123 4567")).toBe("โทร.02 123 9999");
    expect(swapped("+82212345678", "+82212349999", "전화.02-1234-5678")).toBe("전화.02-1234-9999");
    expect(swapped("+81312345678", "+81312349999", "でんわ.03-1234-5678 電話.03-1234-5678")).toBe("でんわ.03-1234-9999 電話.03-1234-9999");
  });

  it("not after a dot that follows a digit of any script (a decimal) or a vowel sign (a mark, not a letter, for the first view's test too)", () => {
    const text = "1.03-123-4567 ١.03-123-4567 ๑.03-123-4567 टेलि.03-123-4567";
    expect(swapped("+97231234567", "+97231239999", text)).toBe(text);
  });
});

describe("Brazil's `(0xx11)`, a carrier code's place after the trunk prefix", () => {
  it("is found and kept (written `0XX11`, capitals, it reads as letters: the tracking number's national form)", () => {
    expect(swapped("+551133334444", "+551155556666", "Ligue (0xx11) 3333-4444 ou 0XX11 3333-4444")).toBe("Ligue (0xx11) 5555-6666 ou (11) 5555-6666");
    expect(swapped("+551133334444", "+5511987654321", "Ligue (0xx11) 3333-4444")).toBe("Ligue (0xx11) 98765-4321");
    // A tracking number dialled with another trunk prefix (a 0800 number) finds the number in a group per
    // form, where the xx would be taken for a separator: such an original is left as it is.
    expect(swapped("+551133334444", "+558001234567", "Ligue (0xx11) 3333-4444 ou (11) 3333-4444")).toBe("Ligue (0xx11) 3333-4444 ou 0800 123-4567");
  });
});

describe("an area code in parentheses, with a tracking number that has none", () => {
  it("is written without them: a mobile, freephone or shared-cost number, nationally and after a country code", () => {
    const text = "(020) 7946 0958, (020) 7946-0958, (20) 7946 0958, 020 7946 0958, +44 (0)20 7946 0958, +44 (20) 7946 0958, 0044 (020) 7946 0958";
    expect(swapped(LONDON, "+447911123456", text)).toBe(
      // `(20)`: written without the trunk prefix, so is the mobile (as a number written so without parentheses).
      "07911 123456, 07911 123456, 7911 123456, 07911 123456, +44 (0)7911 123456, +44 7911 123456, +44 7911 123456",
    );
    expect(swapped(LONDON, "+448081570123", "Freephone (020) 7946 0958")).toBe("Freephone 0808 157 0123");
    expect(swapped("+61291234567", "+611300123456", "(02) 9123 4567 or +61 (2) 9123 4567")).toBe("1300 123 456 or +61 1300 123 456");
    // Jakarta's area code set apart by a space, the rest in one run: the mobile's groups set apart so too (as `021 8350123` is).
    expect(swapped("+62218350123", "+62812345678", "Telp. (021) 8350123, (021)8350123")).toBe("Telp. 0812 345 678, 0812-345-678");
    // Argentina: a mobile's national form has its 15, its international one its 9 (and no parentheses).
    expect(swapped("+541142345678", "+5491123456789", "(011) 4234-5678 / +54 (11) 4234-5678")).toBe("011 15-2345-6789 / +54 9 11 2345 6789");
  });

  it("is written without them when a page's area code is a digit shorter or longer than the national form's first group", () => {
    // Spain: Madrid's `912 34 56 78` written `(91) 234 56 78` as many pages still do.
    expect(swapped("+34912345678", "+34612345678", "Tel. (91) 234 56 78, +34 (91) 234 56 78, 0034 (91) 234 56 78")).toBe(
      "Tel. 612 34 56 78, +34 612 34 56 78, +34 612 34 56 78",
    );
    expect(swapped("+34912345678", "+34900123456", "(91) 234 56 78")).toBe("900 123 456");
    // Greece: Athens' `21 0123 4567` written `(210) 1234567`.
    expect(swapped("+302101234567", "+306912345678", "Τηλ. (210) 1234567, +30 (210) 123 4567")).toBe("Τηλ. 691 234 5678, +30 691 234 5678");
    // London's older `(0207) 946 0958`.
    expect(swapped(LONDON, "+447911123456", "(0207) 946 0958, +44 (0207) 946 0958")).toBe("07911 123456, +44 7911 123456");
    // Not a number written whole in parentheses, nor one whose parenthesis closes further on: those keep the parenthesis where it was.
    expect(swapped("+34912345678", "+34612345678", "(912 34 56 78)")).toBe("(612 34 56 78)");
    expect(swapped("+34912345678", "+34612345678", "(91234) 56 78")).toBe("(61234) 56 78");
    // A tracking number with an area code of its own keeps the page's parentheses, digit for digit.
    expect(swapped("+34912345678", "+34932345678", "(91) 234 56 78")).toBe("(93) 234 56 78");
  });

  it("is written without them when the area code is an element of its own, a border between text nodes inside them", () => {
    // `(<span>020</span>) 7946 0958`: the parentheses were kept around the mobile, as before the area forms.
    expect(swapped(LONDON, "+447911123456", "Call (\x00020\x00) 7946 0958 or (\x00020) 7946 0958")).toBe("Call 07911 123456\0\0 or 07911 123456\0");
    expect(swapped(LONDON, "+447911123456", "Call +44 (\x0020\x00) 7946 0958")).toBe("Call +44 7911 123456\0\0");
    expect(swapped("+3614567890", "+36201234567", "Tel. (\x0006 1\x00) 456 7890")).toBe("Tel. 06 20 123 4567\0\0");
  });

  it("runs in linear time over long runs of borders, spaces or parentheses inside and around them", () => {
    // Each case ends at once; tried at every split of a run, as a pattern with adjacent unbounded runs would, it would not end.
    for (const run of ["\0", " ", "(", "( \0", "\0 "]) {
      const text = `+44${run.repeat(40_000)}x (${run.repeat(40_000)}020${run.repeat(40_000)}) (020) 7946 0958`;
      expect(swapped(LONDON, "+447911123456", text).slice(-14)).toBe(") 07911 123456");
    }
  });

  it("with the country code inside them too, as Philippine and Peruvian pages write it (`(632) 8123-4567`, `(511) 412-3456`): the tracking number's international form", () => {
    const text = "Tel. (632) 8123-4567, (+632) 8123 4567, (+63 2) 8123 4567, (63-2) 8123-4567, (02) 8123-4567";
    // In the page's separators after the area code (dashes, or spaces), as the forms without parentheses are.
    expect(swapped("+63281234567", "+639171234567", text)).toBe("Tel. +63 917 123-4567, +63 917 123 4567, +63 917 123 4567, +63 917 123-4567, 0917 123-4567");
    expect(swapped("+5114123456", "+51912345678", "Central: (511) 412-3456")).toBe("Central: +51 912 345-678");
    expect(swapped(LONDON, "+447911123456", "Tel (+44 20) 7946 0958, (0044 20) 7946 0958")).toBe("Tel +44 7911 123456, +44 7911 123456");
    // A geographic tracking number keeps them, in the original's style; so does a parenthesis around the country code alone.
    expect(swapped("+63281234567", "+63322345678", "Tel. (632) 8123-4567")).toBe("Tel. (6332) 234-5678");
    expect(swapped(LONDON, "+447911123456", "Tel (+44) 20 7946 0958")).toBe("Tel (+44) 7911 123456");
  });

  it("Italy, which has no trunk prefix (the 0 is the number's), written in the `+39 (0)2` style of a trunk prefix: a toll-free number's international form, a geographic one's digits in the page's style", () => {
    const text = "Tel. +39 (0)2 1234 5678, +39(0)2-1234-5678, 0039 (0)2 12345678, +39 (02) 1234 5678";
    expect(swapped("+390212345678", "+39800123456", text)).toBe("Tel. +39 800 123 456, +39 800 123 456, +39 800 123 456, +39 800 123 456");
    expect(swapped("+390212345678", "+390612345678", text)).toBe("Tel. +39 (0)6 1234 5678, +39(0)6-1234-5678, 0039 (0)6 12345678, +39 (06) 1234 5678");
  });

  it("a one-group number after a country code leaves no parenthesis open (Turkey's 444 numbers)", () => {
    expect(swapped("+902123456789", "+904441444", "Tel +90 (212) 345 67 89, (0212) 345 67 89")).toBe("Tel +90 4441444, 4441444");
    // Also in place of a number without an area code whose first group a page puts in parentheses
    // (a mobile, Turkey's 850), and of one written in the `+31 (20)` style, and Norway's 5-digit numbers.
    expect(swapped("+908501234567", "+904441444", "+90 (850) 123 45 67, 0 (850) 123 45 67, +90 850 123 45 67")).toBe("+90 4441444, 4441444, +90 4441444");
    expect(swapped("+905321234567", "+904441444", "+90 (532) 123 45 67")).toBe("+90 4441444");
    expect(swapped("+31201234567", "+3114020", "+31 (20) 123 4567, 020 123 4567")).toBe("+31 14020, 14020");
    expect(swapped("+4722123456", "+4702000", "+47 (22) 12 34 56, 22 12 34 56")).toBe("+47 02000, 02000");
  });

  it("keeps them for a number with an area code: geographic, or written with one (NANP's, Brazil's mobiles)", () => {
    expect(swapped(LONDON, "+441614960000", "(020) 7946 0958, (020) 7946-0958")).toBe("(0161) 496 0000, (0161) 496-0000");
    expect(swapped("+12015550123", "+18005550199", "(201) 555-0123")).toBe("(800) 555-0199");
    expect(swapped("+551133334444", "+5511961234567", "(11) 3333-4444, (011) 3333-4444")).toBe("(11) 96123-4567, (011) 96123-4567");
  });

  it("keeps them where pages put a mobile's first group in parentheses too (Japan, Korea, Ukraine, Belarus, Turkey, Germany…), but for a number of one group", () => {
    expect(swapped("+81312345678", "+819012345678", "(03) 1234-5678")).toBe("(090) 1234-5678");
    expect(swapped("+380441234567", "+380671234567", "(044) 123-45-67")).toBe("(067) 123-45-67");
    expect(swapped("+375152450911", "+375294911911", "+375 (152) 45-09-11")).toBe("+375 (29) 491-19-11");
    expect(swapped("+493012345678", "+4915123456789", "(030) 12345678")).toBe("(01512) 3456789");
    expect(swapped("+902123456789", "+905321234567", "0 (212) 345 67 89")).toBe("0 (532) 123 45 67");
    // Turkey's 444 numbers have no group to put there.
    expect(swapped("+902123456789", "+904441444", "(0212) 345 67 89")).toBe("4441444");
  });

  it("Korea: a nationwide number (`1588-1234`, dialled without the 0 every area code and mobile prefix begins with) has no group to put there, also after an area code Korean pages close without opening (`02)1234-5678`)", () => {
    const text = "전화 (02)1234-5678, 02)1234-5678, 02) 1234-5678, 02-1234-5678, +82 (2) 1234-5678";
    // (`02) 1234-5678`: a number of two groups in its own form, whatever sets the area code apart.)
    expect(swapped("+82212345678", "+8215881234", text)).toBe("전화 1588-1234, 1588-1234, 1588-1234, 1588-1234, +82 1588 1234");
    // A mobile or another area code takes them, opened or not, as the page wrote them.
    expect(swapped("+82212345678", "+821012345678", "(02)1234-5678, 02)1234-5678")).toBe("(010)1234-5678, 010)1234-5678");
    expect(swapped("+82212345678", "+82312345678", "(02)1234-5678, 02)1234-5678")).toBe("(031)234-5678, 031)234-5678");
  });

  it("written without the trunk prefix inside them, without the tracking number's own (where the destination's national form writes one)", () => {
    expect(swapped("+541142345678", "+5491123456789", "(11) 4234-5678, (011) 4234-5678")).toBe("11 15-2345-6789, 011 15-2345-6789");
    expect(swapped("+61291234567", "+61412345678", "(2) 9123 4567")).toBe("412 345 678");
    // Brazil's national form writes no 0 before its area code: its 0800 numbers keep theirs.
    expect(swapped("+551133334444", "+5508001234567", "(11) 3333-4444")).toBe("0800 123-4567");
  });

  it("after a country code only with its + or exit code, which it is written with: no + added after another exit code", () => {
    expect(swapped("+61291234567", "+611800123456", "+61 (2) 9123 4567, 0061 (2) 9123 4567")).toBe("+61 1800 123 456, +61 1800 123 456");
    expect(swapped("+61291234567", "+611800123456", "0011 61 (2) 9123 4567")).not.toContain("+");
  });

  it("keeps the page's separators after the area code, as the forms without parentheses do: the first group set apart by the space after it, the others by the page's", () => {
    // Madrid with a mobile (its national form `612 34 56 78`): as `91 234-56-78` is written.
    const madrid = "(91) 234-56-78, (91) 234.56.78, (91) 234 56 78, +34 (91) 234-56-78, (912) 34-56-78, (91) \x00234\x00-56-78";
    expect(swapped("+34912345678", "+34612345678", madrid)).toBe("612 34-56-78, 612 34.56.78, 612 34 56 78, +34 612 34-56-78, 612 34-56-78, 612 34-56-78\0\0");
    expect(swapped("+34912345678", "+34612345678", "91 234-56-78")).toBe("612 34-56-78");
    // What follows after a slash or a parenthesis is not more of it: a second number, opening hours.
    expect(swapped("+34912345678", "+34612345678", "(91) 234-56-78 / (91) 234-56-79, (91) 234-56-78 (9-14 h), (91) 234.56.78/(91) 234.56.79")).toBe(
      "612 34-56-78 / (91) 234-56-79, 612 34-56-78 (9-14 h), 612 34.56.78/(91) 234.56.79",
    );
    // London with a freephone number (`0808 157 0000`), nationally, without the trunk prefix, after the country code.
    expect(swapped(LONDON, "+448081570000", "(020) 7946-0958, (020) 7946.0958, (20) 7946-0958, +44 (20) 7946-0958, (+44 20) 7946-0958")).toBe(
      "0808 157-0000, 0808 157.0000, 808 157-0000, +44 808 157-0000, +44 808 157-0000",
    );
    // Jakarta with a mobile whose own form has dashes (`0812-345-678`): the page's, spaces or dashes.
    expect(swapped("+62218350123", "+62812345678", "(021) 835 0123, (021) 835-0123")).toBe("0812 345 678, 0812 345-678");
    // Written otherwise, its own form: separators mixed, fewer than its groups need (an Argentine mobile's
    // four), a no-break space, or the parenthesis alone setting the area code apart.
    expect(swapped("+34912345678", "+34612345678", "(91) 234-56 78, (91)\u00a0234-56-78, (91)234-56-78")).toBe("612 34 56 78, 612 34 56 78, 612 34 56 78");
    expect(swapped("+541142345678", "+5491123456789", "(011) 4234-5678")).toBe("011 15-2345-6789");
    // `dni.number()` answers the first pair's number: the tracking number's own parts.
    expect(findings(pool(["+34912345678"], "+34612345678"), "direct", dialTrunk).pairs[0]![1]).toEqual(phoneParts("+34612345678"));
  });

  it("after a capital label glued to the parenthesis (`TEL(020) 7946 0958`), a space between the label and the number", () => {
    const LONDON_TRACKING = "+442079460111";
    // A mobile's first group is no area code: not in the parentheses; and the label not glued to its digits.
    const text = "TEL(020) 7946 0958, FAX(20) 7946 0958, TEL(+44 20) 7946 0958, TEL（020）7946 0958, TEL (020) 7946 0958, T(020) 7946 0958";
    expect(swapped(LONDON, "+447911123456", text)).toBe(
      "TEL 07911 123456, FAX 7911 123456, TEL +44 7911 123456, TEL 07911 123456, TEL 07911 123456, T 07911 123456",
    );
    expect(swapped("+62218350123", "+62812345678", "TEL(021) 8350123")).toBe("TEL 0812-345-678");
    // A tracking number with an area code keeps them; so do the countries whose pages put a mobile's first group in them.
    expect(swapped(LONDON, "+441614960000", "TEL(020) 7946 0958")).toBe("TEL(0161) 496 0000");
    expect(swapped("+81312345678", "+819012345678", "TEL(03)1234-5678")).toBe("TEL(090)1234-5678");
    expect(swapped("+82212345678", "+821012345678", "TEL(02)1234-5678")).toBe("TEL(010)1234-5678");
    // The destination of two pools asked together is the first pool's, after a label too (its groups come first).
    const two = [...pool([LONDON], "+441614960000"), ...pool([LONDON], "+447911123456")];
    expect(swappedPools(two, "TEL(020) 7946 0958, (020) 7946 0958")).toBe("TEL(0161) 496 0000, (0161) 496 0000");
    expect(swappedPools(two.reverse(), "TEL(020) 7946 0958, (020) 7946 0958")).toBe("TEL 07911 123456, 07911 123456");
    // Another country's number: its national form, set apart from the label too (Japan's as well).
    expect(swapped("+18005550199", LONDON_TRACKING, "TEL(800) 555-0199, FAX(800)555-0199, (800) 555-0199")).toBe(
      "TEL 020 7946 0111, FAX 020 7946 0111, 020 7946 0111",
    );
    expect(swapped("+81312345678", "+18005550123", "TEL(03)1234-5678")).toBe("TEL (800) 555-0123");
    // dni.number() still answers the tracking number's own parts.
    expect(findings(pool(["+18005550199"], LONDON_TRACKING), "direct", dialTrunk).pairs[0]![1]).toEqual(phoneParts(LONDON_TRACKING));
  });

  it("leaves the numbers that are not the destination's, and a parenthesis that is the text's, as they were", () => {
    expect(swapped(LONDON, "+447911123456", "(020) 7946 0959, 9(020) 7946 0958, (ref 020 7946 0958)")).toBe(
      "(020) 7946 0959, 9(020) 7946 0958, (ref 07911 123456)",
    );
  });
});

describe("a page that groups the first digits otherwise than the national form", () => {
  it("a number of the other kind (one has an area code, the other not) in its own groups, not into the page's digit places: Spain's `91 234 56 78` for `912 34 56 78`, South Africa's `0800 123 456` for `080 012 3456`", () => {
    const madrid = "Llame al 91 234 56 78, 91-234-56-78, +34 91 234 56 78, (91) 234 56 78, 912 34 56 78, 912 345 678";
    expect(swapped("+34912345678", "+34612345678", madrid)).toBe(
      "Llame al 612 34 56 78, 612-34-56-78, +34 612 34 56 78, 612 34 56 78, 612 34 56 78, 612 345 678",
    );
    expect(swapped("+27800123456", "+27211234567", "Call 0800 123 456, 0800-123-456, +27 800 123 456 or 080 012 3456")).toBe(
      "Call 021 123 4567, 021-123-4567, +27 21 123 4567 or 021 123 4567",
    );
    expect(swapped("+302101234567", "+306912345678", "Τηλ. 210 1234567")).toBe("Τηλ. 691 234 5678");
  });

  it("a number of the same kind digit for digit, as the page groups it: its grouping may be the tracking number's too", () => {
    expect(swapped("+34912345678", "+34932345678", "91 234 56 78")).toBe("93 234 56 78");
    expect(swapped("+27800123456", "+27861234567", "0800 123 456")).toBe("0861 234 567");
    expect(swapped(LONDON, "+442081234567", "0207 946 0958")).toBe("0208 123 4567");
    // The Ukrainian page's `(044) 123-45-67` groups the area code as the national form does (`044 123 4567`): a mobile keeps its grouping.
    expect(swapped("+380441234567", "+380671234567", "(044) 123-45-67, 044 123 45 67")).toBe("(067) 123-45-67, 067 123 45 67");
  });
});

describe("another grouping", () => {
  it("a group more takes the first separator without what marks the area code (a parenthesis, a slash)", () => {
    expect(swapped("+41800123456", "+41441234567", "Gratis 0800 / 123 456")).toBe("Gratis 044 / 123 45 67");
    expect(swapped("+3532212345", "+35312345678", "Tel. (022) 12345, (022)-12345")).toBe("Tel. (01) 234 5678, (01)-234-5678");
  });

  it("Argentina: a mobile for a landline keeps the dash before the last group", () => {
    expect(swapped("+541142345678", "+5491123456789", "Llamá al +54 11 4234-5678")).toBe("Llamá al +54 9 11 2345-6789");
    expect(swapped("+5491123456789", "+541142345678", "Llamá al +54 9 11 2345-6789 o 11 15 2345-6789")).toBe("Llamá al +54 11 4234-5678 o 11 4234-5678");
  });

  it("Japan: `03(1234)5678` with a mobile or a toll-free number keeps its parentheses", () => {
    expect(swapped("+81312345678", "+819012345678", "TEL 03(1234)5678")).toBe("TEL 090(1234)5678");
    expect(swapped("+81312345678", "+81120123456", "TEL 03(1234)5678")).toBe("TEL 0120(123)456");
  });
});

// Python str semantics. Expected values were printed by CPython 3.11, e.g.
//   for s in ["éCOLE NORMALE", "ßtraße", ...]: print(repr(s.capitalize()), repr(s.lower()))
#include <gtest/gtest.h>

#include "eval/py_string.h"

namespace halo::eval::py {
namespace {

TEST(PyString, WhitespaceIsPythonsSet) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', U'\x1c', U'\x1f', U'\u0085', U'\u00a0', U'\u2000',
                     U'\u200a', U'\u2028', U'\u2029', U'\u202f', U'\u3000'}) {
    EXPECT_TRUE(is_space(c)) << uint32_t(c);
  }
  for (char32_t c : {U'x', U'\u200b', U'\x1b', U'\u180e', U'\ufeff'}) EXPECT_FALSE(is_space(c)) << uint32_t(c);
}

TEST(PyString, StripAndTrailingSpace) {
  // " \u00a0\u2028x\u3000\x1c\u0085".strip() == "x"
  EXPECT_EQ(strip(" \u00a0\u2028x\u3000\x1c\u0085"), "x");
  EXPECT_EQ(strip("  a b \n"), "a b");
  EXPECT_EQ(strip(""), "");
  EXPECT_EQ(trailing_space_bytes("Answer: \u00a0"), 3u);  // one space + two bytes of U+00A0
  EXPECT_EQ(trailing_space_bytes("Answer:"), 0u);
  EXPECT_EQ(trailing_space_bytes("   "), 3u);
}

TEST(PyString, LenCountsCodePoints) {
  EXPECT_EQ(len("café"), 4u);
  EXPECT_EQ(len("日本"), 2u);
  EXPECT_EQ(len(""), 0u);
  EXPECT_EQ(len("a\xff"), 2u);  // an invalid byte is one replacement character
  EXPECT_EQ(strip(" \xff "), "\uFFFD");
}

TEST(PyString, CapitalizeMatchesCPython) {
  EXPECT_EQ(capitalize("then uses a Dremel"), "Then uses a dremel");
  EXPECT_EQ(capitalize("éCOLE NORMALE"), "École normale");
  EXPECT_EQ(capitalize("ßtraße"), "Sstraße");
  EXPECT_EQ(capitalize("ǆemal"), "ǅemal");  // titlecase, not uppercase
  EXPECT_EQ(capitalize("ﬁre"), "Fire");
  EXPECT_EQ(capitalize("ΣΑΣ ΟΔΟΣ"), "Σας οδος");
  EXPECT_EQ(capitalize("İstanbul"), "İstanbul");
  EXPECT_EQ(capitalize("1ABC"), "1abc");
  EXPECT_EQ(capitalize(""), "");
}

TEST(PyString, LowerMatchesCPython) {
  EXPECT_EQ(lower("ΣΑΣ ΟΔΟΣ"), "σας οδος");
  EXPECT_EQ(lower("İstanbul"), "i\u0307stanbul");
  EXPECT_EQ(lower("éCOLE"), "école");
  EXPECT_EQ(lower("Σ"), "σ");  // a lone sigma is not word-final
}

TEST(PyString, ReprMatchesCPython) {
  // print(repr(['France', "it's", 'say "hi"', 'a\\b', 'tab\there', 'nl\n', 'both \' and "', 'é', '\x7f',
  //             '\u200b', 'x\u00a0y']))
  EXPECT_EQ(list_repr({"France", "it's", "say \"hi\"", "a\\b", "tab\there", "nl\n", "both ' and \"", "é", "\x7f",
                       "\u200b", "x\u00a0y"}),
            R"(['France', "it's", 'say "hi"', 'a\\b', 'tab\there', 'nl\n', 'both \' and "', 'é', '\x7f', '\u200b', 'x\xa0y'])");
  EXPECT_EQ(list_repr({}), "[]");
  EXPECT_EQ(repr("\U0001F600"), "'\U0001F600'");  // printable astral characters stay
  EXPECT_EQ(repr("\U000E0001"), "'\\U000e0001'");  // format character (Cf) is escaped
}

TEST(PyString, ContainsIgnoreCaseLikeReIgnorecase) {
  // re.search(re.escape("straße"), "STRASSE", re.I) -> None; "éa" vs "ÉA" and "k" vs KELVIN SIGN match.
  EXPECT_TRUE(contains_ignore_case(" MEDTRONIC, INC. (Minneapolis)", "Medtronic, Inc."));
  EXPECT_FALSE(contains_ignore_case(" Medtronic Inc.", "Medtronic, Inc."));
  EXPECT_FALSE(contains_ignore_case("STRASSE", "straße"));
  EXPECT_TRUE(contains_ignore_case("ÉA", "éa"));
  EXPECT_TRUE(contains_ignore_case("\u212a", "k"));
  EXPECT_TRUE(contains_ignore_case("anything", ""));
  EXPECT_FALSE(contains_ignore_case("", "a"));
}

TEST(PyString, ReplaceAllIsOnePassLeftToRight) {
  EXPECT_EQ(replace_all("a   b", "  ", " "), "a  b");  // three spaces become two
  EXPECT_EQ(replace_all("x [title] y [title]", " [title]", ". "), "x.  y. ");
  EXPECT_EQ(replace_all("none", "zz", "y"), "none");
}

}  // namespace
}  // namespace halo::eval::py

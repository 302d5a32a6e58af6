"""Answer extraction, normalisation and checking.

Every place that reads a model's answer (the environments' consensus tests, the final-answer
rules, correctness rewards, the benchmark verifier) goes through this module, so that "the same
answer" means the same thing everywhere.

* :func:`extract_answer` pulls the final answer out of free text. Rules, in priority order (the
  first rule that yields a usable answer wins):

  1. the LAST balanced-brace ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces are fine);
  2. the text after the last ``####`` (GSM8K style);
  3. the last ``answer is X`` / ``Answer: X`` (case-insensitive);
  4. fall-backs by kind: ``numeric`` the last number in the text; ``choice`` the last
     stand-alone choice letter A-J (``(B)``, ``B)``, ``**D**``, ``option C``, a bare ``C``);
     ``code`` the last fenced code block, tried first, and the whole text when nothing else
     matched and it parses as Python. ``latex`` has no fall-back.

  For ``numeric`` a span is kept when it parses as a number, otherwise its first number is
  taken (if it lies in the span's first clause); for ``choice`` the span must start with a
  letter. A span that yields nothing falls
  through to the next rule.

* :func:`normalize_answer` maps an answer to a canonical key. Numeric canonical form: an
  integer string when the value is integral (``"18"``, ``"-3"``), otherwise the reduced fraction
  ``"p/q"`` (``"2.50"`` -> ``"5/2"``, ``"\\frac{6}{8}"`` -> ``"3/4"``, ``"1e-3"`` -> ``"1/1000"``).
  Currency signs, thousands separators, ``\\text{}``, trailing units or words (``"18 dollars"``,
  ``"5 cm"``), a trailing ``%`` (``"50%"`` -> ``"50"``: the percent sign is a unit, not a
  factor 1/100) and a trailing period are dropped; ``"x = 5"`` keeps what follows the last
  ``=``. Choice: one upper-case letter A-J. LaTeX: ``\\left``/``\\right``/``\\!``/``\\,`` and
  all whitespace removed, ``\\dfrac``/``\\tfrac`` -> ``\\frac``, numeric when it parses as a
  number. Code: the code re-printed from its syntax tree (``ast.unparse``) when it parses, else
  the stripped text (:func:`econ_env.tasks.code_check.code_key`). ``None`` means "no answer".

* :func:`check_answer` compares a prediction with the gold answer (numeric: exact rational
  equality or ``|p - g| <= max(rel_tol * max(|p|, |g|), abs_tol)``, symmetric in its
  arguments); :func:`answers_agree` compares two agents' answers. ``latex`` answers that are
  not both plain numbers and whose keys differ are compared by math-verify
  (:mod:`econ_env.tasks.math_equiv`) when it is installed, else they do not match. ``code``
  answers against a code gold (a JSON object with the tests, :mod:`econ_env.tasks.code_check`)
  pass when the tests pass in the sandbox; against a plain-text gold their keys must be equal.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from econ_env.tasks.code_check import check_code, code_key, parse_code_gold, parses
from econ_env.tasks.math_equiv import latex_equivalent

__all__ = [
    "CHOICE_LETTERS",
    "answers_agree",
    "check_answer",
    "extract_answer",
    "normalize_answer",
    "parse_numeric",
]

CHOICE_LETTERS = "ABCDEFGHIJ"
_KINDS = ("numeric", "choice", "latex", "code")
_MAX_NUMBER_CHARS = 400  # longer digit strings are not answers (and would be slow)
_MAX_EXPONENT = 400

# ----------------------------------------------------------------------------- regexes
_BOX_RE = re.compile(r"\\(?:boxed|fbox)")
_HASH_RE = re.compile(r"####[ \t]*([^\n]*)")
_ANSWER_IS_RE = re.compile(r"answer(?:\s+is|\s*:)[\s:*]*([^\n]*)", re.IGNORECASE)
_FENCE_RE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)

# a number token inside free text (used for "last number" and for refining spans)
_NUM_TOKEN_RE = re.compile(
    r"(?:(?<![\w)\]}])-\s?)?"
    r"(?:\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}"
    r"|(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?(?:[eE][-+]?\d+)?"
    r"|\.\d+)"
)

# choice letters: strong patterns anywhere, and a weak bare-letter pattern
_CHOICE_STRONG_RE = re.compile(
    r"\(([A-J])\)|\*\*\(?([A-J])\)?[.:)]?\*\*|(?<![A-Za-z0-9])([A-J])\)"
    r"|\b(?:option|choice)\s+\(?([A-J])\b|\\(?:text|textbf|mathrm)\{\(?([A-J])\)?\}",
    re.IGNORECASE,
)
_CHOICE_WEAK_RE = re.compile(
    r"(?<![A-Za-z0-9'’\-])([B-HJ]|[AI](?!\s+(?!is\b|and\b|or\b)[a-z]))(?![A-Za-z0-9'’\-])"
)
# a span starting with a letter; "A"/"I" followed by a lower-case word is an article/pronoun
# and a lower-case letter counts only when nothing word-like follows it ("answer is c.")
_CHOICE_SPAN_RE = re.compile(
    r"^(?:\s|\*|_|\(|\[|\{|\$|:|\\(?:text|textbf|mathrm|mathbf)\{|(?i:option|choice)\s+)*"
    r"([B-HJ](?![A-Za-z0-9'’])|[AI](?![A-Za-z0-9'’])(?!\s+(?!is\b|and\b|or\b)[a-z])"
    r"|[a-j](?=\s*$|[).:,*\]}]))"
)

# numeric parsing
_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|textit)\s*\{([^{}]*)\}")
_LATEX_SPACING_RE = re.compile(r"\\left|\\right|\\[!,;:> ]|\\quad|\\qquad")
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d*)?|\.\d+"
_FRAC_HEAD_RE = re.compile(
    r"\\frac\s*(?:\{\s*(?P<a>[-+]?(?:" + _NUM + r"))\s*\}|(?P<a1>\d))"
    r"\s*(?:\{\s*(?P<b>[-+]?(?:" + _NUM + r"))\s*\}|(?P<b1>\d))"
)
_MIXED_HEAD_RE = re.compile(
    r"(?P<w>\d+)(?:\s+(?P<p>\d+)\s*/\s*(?P<q>\d+)"
    r"|\s*\\frac\s*\{\s*(?P<fp>\d+)\s*\}\s*\{\s*(?P<fq>\d+)\s*\})(?![\d.,/])"
)
_PLAIN_HEAD_RE = re.compile(
    r"(?P<n>" + _NUM + r")"
    r"(?:\s*/\s*(?P<d>" + _NUM + r"))?"
    r"(?:[eE](?P<e>[-+]?\d+)"
    r"|\s*(?:\\times|\\cdot|×|·|\*|x)\s*10\s*\^\s*\{?\s*(?P<e2>[-+]?\d+)\s*\}?)?"
)
_LEAD_RE = re.compile(r"^(?:≈|~|approx\.?|approximately|about|around)\s*", re.IGNORECASE)
_REST_OK_RE = re.compile(r"^\s*(?:$|[%°]|\^\s*\{?\\circ|[^\W\d_]|/\s*[^\W\d_])")


# ----------------------------------------------------------------------------- numbers
def _to_fraction(token: str) -> Fraction | None:
    """Exact value of a digit string like ``"1,234.50"`` (no sign, no exponent)."""
    token = token.replace(",", "")
    if not token or len(token) > _MAX_NUMBER_CHARS:
        return None
    whole, _, frac = token.partition(".")
    if not whole and not frac:
        return None
    value = Fraction(int(whole or "0"))
    if frac:
        value += Fraction(int(frac), 10 ** len(frac))
    return value


def _signed(token: str) -> Fraction | None:
    token = token.strip()
    neg = token.startswith("-")
    value = _to_fraction(token.lstrip("+-"))
    if value is None:
        return None
    return -value if neg else value


def _clean_numeric(text: str) -> str:
    s = text.strip()
    for _ in range(4):  # unwrap nested \text{...}
        new = _TEXT_CMD_RE.sub(r"\1", s)
        if new == s:
            break
        s = new
    s = _LATEX_SPACING_RE.sub("", s)
    s = s.replace("{,}", ",").replace("\\%", "%").replace("\\$", "$").replace("$", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.replace("−", "-").replace("–", "-").replace("\u2009", "").replace("\u00a0", " ")
    s = s.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    s = s.replace("**", "").strip()
    if "=" in s:
        s = s.rsplit("=", 1)[1]
    s = _LEAD_RE.sub("", s.strip())
    s = s.lstrip("€£¥").strip()
    while s.endswith("."):
        s = s[:-1].rstrip()
    if s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1].strip()
    return s


def parse_numeric(text: str | None, *, strict: bool = False) -> Fraction | None:
    """Parse an answer string as an exact rational number, or return ``None``.

    Accepts integers, decimals, thousands separators, ``a/b``, ``\\frac{a}{b}`` (and
    ``\\dfrac``), mixed numbers (``1 1/2``), scientific notation (``1.5e-3``,
    ``2 \\times 10^{3}``), negatives, currency signs and trailing units or words (with
    ``strict=True`` nothing may follow the number).
    """
    if text is None:
        return None
    return _parse_numeric_cached(str(text), strict)


@lru_cache(maxsize=16384)
def _parse_numeric_cached(text: str, strict: bool) -> Fraction | None:
    # Answers repeat within an episode (every agent's draft, checks against gold), so parsing is
    # cached; Fractions are immutable, so sharing them is safe.
    try:
        return _parse_numeric(text, strict)
    except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
        return None


def _parse_numeric(text: str, strict: bool) -> Fraction | None:
    s = _clean_numeric(text)
    if not s:
        return None
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:].lstrip()
        s = s.lstrip("€£¥").lstrip()
    value: Fraction | None
    m = _FRAC_HEAD_RE.match(s)
    if m:
        a = _signed(m.group("a") or m.group("a1"))
        b = _signed(m.group("b") or m.group("b1"))
        if a is None or b is None:
            return None
        value = a / b
    else:
        m = _MIXED_HEAD_RE.match(s)
        if m:
            w = int(m.group("w"))
            p, q = (m.group("p"), m.group("q")) if m.group("p") else (m.group("fp"), m.group("fq"))
            value = w + Fraction(int(p), int(q))
        else:
            m = _PLAIN_HEAD_RE.match(s)
            if not m:
                return None
            value = _to_fraction(m.group("n"))
            if value is None:
                return None
            if m.group("d") is not None:
                den = _to_fraction(m.group("d"))
                if den is None:
                    return None
                value /= den
            exp = m.group("e") or m.group("e2")
            if exp is not None:
                e = int(exp)
                if abs(e) > _MAX_EXPONENT:
                    return None
                value *= Fraction(10) ** e
    rest = s[m.end() :]
    if (strict and rest.strip()) or not _REST_OK_RE.match(rest):
        return None
    return -value if neg else value


def _fraction_key(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


# ----------------------------------------------------------------------------- normalise
def _clean_latex(text: str) -> str:
    s = text
    while True:  # to a fixpoint, so that normalisation is idempotent
        new = re.sub(r"\s+", "", s)
        new = _LATEX_SPACING_RE.sub("", new)
        new = new.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
        new = new.strip("$")
        new = new[:-1] if new.endswith(".") else new
        if new == s:
            return s
        s = new


def _normalize_choice(text: str) -> str | None:
    m = _CHOICE_SPAN_RE.match(text)
    if not m:
        return None
    return m.group(1).upper()


@lru_cache(maxsize=8192)
def _normalize_cached(ans: str, kind: str) -> str | None:
    if kind == "numeric":
        value = parse_numeric(ans)
        return None if value is None else _fraction_key(value)
    if kind == "choice":
        return _normalize_choice(ans)
    if kind == "latex":
        s = _clean_latex(ans)
        value = parse_numeric(s, strict=True)
        if value is not None:
            return _fraction_key(value)
        return s or None
    return code_key(ans)


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")


def normalize_answer(ans: str | None, kind: str) -> str | None:
    """Canonical comparison key of ``ans`` for this ``kind`` (``None`` when there is none)."""
    _check_kind(kind)
    if ans is None:
        return None
    return _normalize_cached(str(ans), kind)


# ----------------------------------------------------------------------------- extract
def _last_boxed(text: str) -> str | None:
    starts = [m.end() for m in _BOX_RE.finditer(text)]
    for start in reversed(starts):
        i = start
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            depth = 0
            for j in range(i, len(text)):
                c = text[j]
                if c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                    if depth == 0:
                        return text[i + 1 : j]
        elif i > start:  # "\boxed 5"
            m = re.match(r"[^\s$]+", text[i:])
            if m:
                return m.group(0)
    return None


def _clean_span(span: str) -> str:
    s = span.strip().replace("**", "").strip()
    while s.endswith("."):
        s = s[:-1].rstrip()
    if len(s) >= 2 and s.startswith("$") and s.endswith("$"):
        s = s.strip("$").strip()
    return s


@lru_cache(maxsize=8192)
def _refine(span: str | None, kind: str) -> str | None:
    if span is None:
        return None
    s = _clean_span(span)
    if not s:
        return None
    if kind == "numeric":
        if parse_numeric(s) is not None:
            return s
        m = _NUM_TOKEN_RE.search(s)
        if m is None or any(c in ",;!?" for c in s[: m.start()]):
            return None  # no number in the span's first clause
        return m.group(0)
    if kind == "choice":
        return _normalize_choice(s)
    return s


def _last_choice(text: str) -> str | None:
    matches = list(_CHOICE_STRONG_RE.finditer(text))
    if matches:
        last = matches[-1]
        return next(g for g in last.groups() if g).upper()
    weak = list(_CHOICE_WEAK_RE.finditer(text))
    return weak[-1].group(1) if weak else None


def extract_answer(text: str, kind: str) -> str | None:
    """The final answer in ``text`` as a string, or ``None`` (rules in the module docstring)."""
    _check_kind(kind)
    if not text:
        return None
    if kind == "code":
        blocks = _FENCE_RE.findall(text)
        if blocks:
            return blocks[-1].strip() or None
    found = _refine(_last_boxed(text), kind)
    if found is not None:
        return found
    hashes = _HASH_RE.findall(text)
    if hashes:
        found = _refine(hashes[-1], kind)
        if found is not None:
            return found
    spans = _ANSWER_IS_RE.findall(text)
    if spans:
        found = _refine(spans[-1], kind)
        if found is not None:
            return found
    if kind == "numeric":
        tokens = _NUM_TOKEN_RE.findall(text)
        return tokens[-1] if tokens else None
    if kind == "choice":
        return _last_choice(text)
    if kind == "code" and parses(text):
        return text.strip()
    return None


# ----------------------------------------------------------------------------- check
def _close(p: Fraction, g: Fraction, rel_tol: float, abs_tol: float) -> bool:
    if p == g:
        return True
    tol = max(Fraction(rel_tol) * max(abs(p), abs(g)), Fraction(abs_tol))
    return abs(p - g) <= tol


def check_answer(
    pred: str | None,
    gold: str,
    kind: str,
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
) -> bool:
    """Whether ``pred`` matches ``gold`` (``None`` never matches). Symmetric for numerics."""
    _check_kind(kind)
    if rel_tol < 0 or abs_tol < 0:
        raise ValueError(f"rel_tol and abs_tol must be >= 0, got {rel_tol}, {abs_tol}")
    if pred is None or gold is None:
        return False
    if kind == "code" and parse_code_gold(gold) is not None:
        return check_code(str(pred), gold)
    p_key = normalize_answer(pred, kind)
    g_key = normalize_answer(gold, kind)
    if p_key is None or g_key is None:
        return False
    if p_key == g_key:
        return True
    if kind in ("numeric", "latex"):
        strict = kind == "latex"
        p_val = parse_numeric(p_key, strict=strict)
        g_val = parse_numeric(g_key, strict=strict)
        if p_val is not None and g_val is not None:
            return _close(p_val, g_val, rel_tol, abs_tol)
    if kind == "latex":  # symbolic answers: math-verify when installed, else no match
        return latex_equivalent(str(pred), str(gold)) is True
    return False


def answers_agree(a: str | None, b: str | None, kind: str, *, rel_tol: float = 1e-6) -> bool:
    """Whether two agents' answers are the same (``None`` agrees with nothing)."""
    if b is None:
        _check_kind(kind)
        return False
    return check_answer(a, b, kind, rel_tol=rel_tol)

"""The naming convention of this test suite, checked on every test file.

1. A test class ends in `Tests` (e.g. `ChecksTests`, `ReviewQueueTests`); a base class meant
   to be inherited ends in `TestCase` (e.g. `ReleaseTestCase`); benchmark classes under
   tests/bench end in `Benchmark`; mixins end in `Mixin`.
2. A test method's name is a sentence in the present tense that names its subject and states
   one behaviour: `test_a_png_named_wav_is_refused_with_a_reason`,
   `test_the_queue_lists_submissions_oldest_first`. Never `test_it_...` (the reader should
   not have to look up the class to know what "it" is), and never a bare noun phrase
   (`test_defaults`, `test_overrides`, `test_mp3`, `test_validity`): say what is true
   (`test_the_defaults_are_the_documented_targets`, `test_an_mp3_is_decoded_with_its_bit_rate`).
   Standard test cases keep their published numbers, with the standard named:
   `test_ebu_3341_case_1_a_stereo_sine_at_minus_23_reads_minus_23`.
3. Plain test functions (not methods) follow rule 2 too.

Rule 2 can only be checked mechanically in part: a test name must be lower snake case, must
not start with `test_it_`, and must have at least four words after `test_` unless it is a
numbered standard case, the standard named with its number (`test_r128_case_3`,
`test_ebu_3342_cases_1_to_4_...`).
Whether it is a true sentence about its subject is left to the reader and the reviewer.
"""

from __future__ import annotations

import ast
import re
import unittest
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

SNAKE_CASE = re.compile(r"test_[a-z0-9]+(?:_[a-z0-9]+)*")
# A standard named with its number (`ebu_3341`, `r128`), then `case`/`cases` and a number.
STANDARD_CASE = re.compile(r"test_(?:[a-z]+_)*[a-z]*\d+[a-z0-9]*_cases?_\d+(?:_|$)")
MIN_WORDS = 4


def governed_files() -> list[Path]:
    """Every module of the suite whose names the convention governs."""
    return sorted(TESTS.rglob("test_*.py")) + sorted((TESTS / "bench").glob("bench_*.py"))


def base_names(node: ast.ClassDef) -> list[str]:
    """The last part of each base: `unittest.TestCase` is `TestCase`."""
    names = []
    for base in node.bases:
        if isinstance(base, ast.Subscript):
            base = base.value
        if isinstance(base, ast.Attribute):
            names.append(base.attr)
        elif isinstance(base, ast.Name):
            names.append(base.id)
    return names


def is_test_function(node: ast.AST) -> bool:
    # unittest's testMethodPrefix and pytest's python_functions are both "test".
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def name_problem(name: str) -> str | None:
    """Why a test method or function name breaks rule 2, or None when it does not."""
    if not SNAKE_CASE.fullmatch(name):
        return "is not lower snake case after `test_`"
    if name.startswith("test_it_"):
        return 'starts with `test_it_`: name the subject instead of "it"'
    words = name.removeprefix("test_").split("_")
    if len(words) < MIN_WORDS and not STANDARD_CASE.match(name):
        return (
            f"has {len(words)} word(s) after `test_`: write a sentence of at least "
            f"{MIN_WORDS} words that names its subject and says what is true"
        )
    return None


def class_problem(node: ast.ClassDef, *, benchmark: bool) -> str | None:
    """Why a class name breaks rule 1, or None when it does not (or is no test class)."""
    name = node.name
    if name.endswith("Mixin"):
        return None
    bases = base_names(node)
    own_tests = any(is_test_function(item) for item in node.body)
    inherits_tests = any(base.endswith(("Tests", "Benchmark")) for base in bases)
    test_like = any(base.endswith(("TestCase", "Test", "Tests", "Benchmark")) for base in bases)
    if own_tests or inherits_tests:
        suffix = "Benchmark" if benchmark else "Tests"
        if not name.endswith(suffix):
            where = "a benchmark class under tests/bench" if benchmark else "a test class"
            return f"is {where} and must end in `{suffix}`"
    elif (test_like or name.endswith("Test")) and not name.endswith("TestCase"):
        return "is a base class without tests of its own and must end in `TestCase`"
    return None


def offenders_in(source: str, path: str, *, benchmark: bool = False) -> list[str]:
    """Every name in one module that breaks rules 1-3, as `path:line name reason`."""
    found = []

    def report(node: ast.AST, name: str, problem: str | None) -> None:
        if problem:
            found.append(f"{path}:{node.lineno} {name} {problem}")

    def visit_class(node: ast.ClassDef, owner: str) -> None:
        qualified = f"{owner}{node.name}"
        report(node, qualified, class_problem(node, benchmark=benchmark))
        for item in node.body:
            if isinstance(item, ast.ClassDef):
                visit_class(item, f"{qualified}.")
            elif is_test_function(item):
                report(item, f"{qualified}.{item.name}", name_problem(item.name))

    for node in ast.parse(source, filename=path).body:
        if isinstance(node, ast.ClassDef):
            visit_class(node, "")
        elif is_test_function(node):
            report(node, node.name, name_problem(node.name))
    return found


def suite_offenders() -> list[str]:
    found = []
    for path in governed_files():
        relative = path.relative_to(ROOT).as_posix()
        benchmark = path.parent == TESTS / "bench"
        found += offenders_in(path.read_text(encoding="utf-8"), relative, benchmark=benchmark)
    return found


class NamingConventionTests(unittest.TestCase):
    def test_every_test_file_follows_the_naming_convention(self) -> None:
        files = governed_files()
        self.assertIn(Path(__file__).resolve(), files)
        self.assertTrue(any(path.name.startswith("bench_") for path in files))
        offenders = suite_offenders()
        if offenders:
            self.fail(
                f"{len(offenders)} name(s) break the convention in tests/test_conventions.py:\n  "
                + "\n  ".join(offenders)
            )

    def test_the_checker_reports_each_kind_of_bad_name(self) -> None:
        source = """
class LoudnessTest(unittest.TestCase):
    def test_defaults(self): ...
    def test_it_reads_minus_23(self): ...
    def test_Reads_Minus_23_In_Stereo(self): ...
    def testReadsMinus23InStereo(self): ...
    def test_case_3(self): ...

class SharedSetup(BaseTestCase):
    def setUp(self): ...

class MoreLoudness(LoudnessTests):
    def setUp(self): ...

def test_mp3(): ...
"""
        offenders = offenders_in(source, "tests/test_example.py")
        self.assertEqual(
            [line.split(" ", 2)[1] for line in offenders],
            [
                "LoudnessTest",
                "LoudnessTest.test_defaults",
                "LoudnessTest.test_it_reads_minus_23",
                "LoudnessTest.test_Reads_Minus_23_In_Stereo",
                "LoudnessTest.testReadsMinus23InStereo",
                "LoudnessTest.test_case_3",
                "SharedSetup",
                "MoreLoudness",
                "test_mp3",
            ],
        )
        self.assertTrue(offenders[0].startswith("tests/test_example.py:2 LoudnessTest "))

    def test_the_checker_accepts_names_that_follow_the_convention(self) -> None:
        source = """
class ChromiumMixin:
    def open_page(self): ...

class ReleaseTestCase(BaseTestCase):
    def make_master(self): ...

class ReviewQueueTests(ReleaseTestCase, ChromiumMixin):
    def test_the_queue_lists_submissions_oldest_first(self): ...

class Tech3341Tests(unittest.TestCase):
    def test_ebu_3341_case_1_a_stereo_sine_at_minus_23_reads_minus_23(self): ...
    def test_ebu_3341_cases_15_to_19(self): ...
    def test_r128_case_3(self): ...

class Run:
    seconds: float

def test_an_mp3_is_decoded_with_its_bit_rate(): ...
"""
        self.assertEqual(offenders_in(source, "tests/test_example.py"), [])

    def test_the_checker_reports_a_bench_class_not_ending_in_benchmark(self) -> None:
        source = """
class PageBenchmark(BaseTestCase):
    def test_each_page_is_timed_against_a_trivial_page(self): ...

class PageTests(BaseTestCase):
    def test_each_page_is_timed_against_a_trivial_page(self): ...
"""
        offenders = offenders_in(source, "tests/bench/bench_pages.py", benchmark=True)
        self.assertEqual(len(offenders), 1)
        self.assertIn("PageTests is a benchmark class under tests/bench", offenders[0])

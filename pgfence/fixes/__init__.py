"""`pgfence analyze --fix`: rewrite SQL migrations where the safe form is certain.

`plan.fix` runs the analysis, inserts the fixes (`inplace`), and runs it again on the
rewritten texts until nothing fixable is left; `text` places insertions in a file's text
without touching anything else.
"""

from pgfence.fixes.plan import FileFix, FixResult, Refusal, fix

__all__ = ["FileFix", "FixResult", "Refusal", "fix"]

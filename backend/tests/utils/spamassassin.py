"""SpamAssassin's verdict on a message, from its local rules only (Debian's `spamassassin`).

No network tests (`--local`), no Bayes database, no user preferences, and a HOME of
its own for user state, so the verdict depends on the message and the installed rules
alone. (SpamAssassin still makes an empty `.spamassassin` folder in the account's home
from the password database, for its global state: it does so on every run.)
`scripts/test.sh` and `.ci/run` install the package; a missing one fails the test.
"""

import email
import email.policy
import os
import shutil
import subprocess
import tempfile

import pytest

# SpamAssassin marks its informational rules with a score of +-0.001 (its report
# rounds them to 0.0): they say what the message is, not that it looks like spam.
INFORMATIONAL = 0.001


def fired_rules(raw_message: bytes) -> dict[str, float]:
    """Every rule that fired on the message, with its score."""
    executable = shutil.which("spamassassin")
    if executable is None:
        pytest.fail(
            "spamassassin was not found: install Debian's 'spamassassin' package "
            "(apt-get install spamassassin)"
        )
    with tempfile.TemporaryDirectory() as home:
        result = subprocess.run(
            [
                executable,
                "--local",
                "--nocreate-prefs",
                "--prefspath=/dev/null",
                "--cf=use_bayes 0",
                # Each rule with its exact score, in a header of the checked message.
                "--cf=add_header all Tests _TESTSSCORES(,)_",
            ],
            input=raw_message,
            capture_output=True,
            env={**os.environ, "HOME": home},
            check=True,
            timeout=120,
        )
    checked = email.message_from_bytes(result.stdout, policy=email.policy.default)
    tests = checked["X-Spam-Tests"]
    assert tests is not None, result.stderr.decode(errors="replace")
    rules: dict[str, float] = {}
    for entry in "".join(str(tests).split()).split(","):
        if entry and entry != "none":
            name, _, score = entry.partition("=")
            rules[name] = float(score)
    return rules

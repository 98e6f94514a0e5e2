"""The step of docs/auth.md that a person does in their browser, done over HTTP for the test:
open the authorization URL, sign in, choose the organisation by name, allow; print the code.

    python -m tests.docs.sign_in_step URL EMAIL PASSWORD ORGANISATION_NAME
"""

import re
import sys
from html import escape
from urllib.parse import urlsplit

from tests.oauth.sign_in import Browser, query


def main(url: str, email: str, password: str, organisation_name: str) -> str:
    parts = urlsplit(url)
    browser = Browser(f"{parts.scheme}://{parts.netloc}")
    try:
        consent = browser.sign_in(url, email, password)
        assert consent.status_code == 200, consent.text
        label = re.search(
            r'value="(\d+)"[^>]*>\s*' + re.escape(escape(organisation_name)), consent.text, flags=re.S
        )
        assert label is not None, f"{organisation_name} is not offered"
        answer = browser.submit(consent, {"organisation": label.group(1), "decision": "allow"})
        assert answer.status_code == 302, answer.text
        return query(answer.headers["location"])["code"]
    finally:
        browser.close()


if __name__ == "__main__":
    print(main(*sys.argv[1:5]))

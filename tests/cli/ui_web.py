# SPDX-License-Identifier: MIT
"""The web pages of `cellsync ui` asked over HTTP as a browser asks them.

Import it from a test's python (sys.path gets tests/cli); Session(url) takes the
address `cellsync ui --no-browser` printed, trades its secret for the cookie, and
then get()s pages and post()s forms the way a browser submits them: the form's
token read from the page that holds the form, the Origin header set. check()
prints the "ok WHAT" / "FAIL WHAT" lines lib.sh's ui_checks counts.
"""
import html
import http.client
import re
import urllib.parse


def check(what, cond):
    print(("ok " if cond else "FAIL ") + what, flush=True)
    return cond


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    @property
    def location(self):
        return self.headers.get("Location")

    def text(self):
        """The page's text without tags, entities decoded, spaces collapsed."""
        t = re.sub(r"<script.*?</script>|<style.*?</style>", " ", self.body, flags=re.S)
        t = re.sub(r"<[^>]+>", " ", t)
        return re.sub(r"\s+", " ", html.unescape(t)).strip()

    def by_id(self, ident):
        """The inner HTML of the element with id ident (first match; None if absent)."""
        m = re.search(r'<(\w+)[^>]*\bid="%s"[^>]*>(.*?)</\1>' % re.escape(ident), self.body, re.S)
        return m.group(2) if m else None


class Session:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.port = u.port
        self.origin = "http://127.0.0.1:%d" % self.port
        secret = urllib.parse.parse_qs(u.query)["k"][0]
        r = self._do("GET", "/?k=" + secret, {})
        assert r.status == 303, "the secret was not taken: %d" % r.status
        self.cookie = r.headers["Set-Cookie"].split(";")[0]

    def _do(self, method, path, headers, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read().decode("utf-8")
        hdrs = dict(r.getheaders())
        c.close()
        return Response(r.status, data, hdrs)

    def get(self, path):
        return self._do("GET", path, {"Cookie": self.cookie})

    def token(self, page):
        """The form token of the form on page (a path)."""
        r = self.get(page)
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', r.body)
        assert m, "no form on " + page
        return m.group(1)

    def post(self, path, fields, page=None):
        """Submits fields (a dict, or a list of pairs for repeated names) to path, with the
        token of the form on page (default: path itself). Redirects are not followed."""
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        pairs.append(("csrf", self.token(page or path)))
        body = urllib.parse.urlencode(pairs)
        return self._do("POST", path, {"Cookie": self.cookie, "Origin": self.origin,
                                       "Content-Type": "application/x-www-form-urlencoded"}, body)
